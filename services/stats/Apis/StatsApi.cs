using System.ComponentModel;
using ImageGen.Stats.Data;
using ImageGen.Stats.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageGen.Stats.Apis;

public static class StatsApi
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Stats");

        api.MapGet("/stats", GetStats)
            .WithName("GetStats")
            .WithSummary("Generation statistics for a time window")
            .WithDescription(
                "Counts, success rate, images, bytes, latency percentiles and errors of the attempts completed in " +
                "[from, to), in total and per provider, provider/model or UTC day. The window defaults to the last " +
                $"24 hours and may span at most {StatsQuery.MaxWindow.TotalDays:0} days.");

        return app;
    }

    public static async Task<Results<Ok<StatsReport>, ValidationProblem>> GetStats(
        [AsParameters] StatsRequest request,
        StatsReader reader,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var query = StatsQuery.Create(request.From, request.To, request.GroupBy, request.Owner, time.GetUtcNow(), out var errors);
        if (query is null)
        {
            return TypedResults.ValidationProblem(
                errors,
                detail: string.Join(" ", errors.Values.SelectMany(messages => messages)),
                title: "The statistics query is invalid.");
        }

        return TypedResults.Ok(await reader.ReadAsync(query, cancellationToken));
    }
}

/// <summary>
/// Raw query parameters. They are bound as strings and validated by <see cref="StatsQuery"/> so that a
/// bad value answers a problem naming the parameter instead of the framework's bare 400.
/// </summary>
public sealed record StatsRequest(
    [property: FromQuery(Name = "from"), Description("Start of the window (inclusive): ISO-8601 date or timestamp, UTC unless an offset is given. Default: 24 hours before to.")]
    string? From,
    [property: FromQuery(Name = "to"), Description("End of the window (exclusive; a date alone includes that whole day). Default: now.")]
    string? To,
    [property: FromQuery(Name = "group_by"), Description("provider (default), model (key provider/model) or day (key YYYY-MM-DD, UTC).")]
    string? GroupBy,
    [property: FromQuery(Name = "owner"), Description("Only the outcomes of this owner (API key owner).")]
    string? Owner);
