using System.Net;
using System.Text.Json;
using ImageGen.Stats.Tests.Infrastructure;

namespace ImageGen.Stats.Tests;

public sealed class Rejecting_bad_queries(StatsServiceFixture service) : IClassFixture<StatsServiceFixture>
{
    [Theory]
    [InlineData("from=yesterday", "from", "ISO-8601")]
    [InlineData("to=2024-13-01", "to", "ISO-8601")]
    [InlineData("from=01/02/2024", "from", "2025-01-31T12:00:00Z")]
    // An unencoded '+' arrives as a space.
    [InlineData("from=2024-01-01T10:00:00+01:00", "from", "%2B")]
    [InlineData("from=2024-02-01&to=2024-01-01", "from", "after")]
    [InlineData("from=2024-03-01T10:00:00Z&to=2024-03-01T09:59:59Z", "from", "after")]
    [InlineData("from=2023-01-01&to=2024-01-02", "to", "at most 366 days")]
    [InlineData("group_by=week", "group_by", "Accepted values: provider, model, day")]
    [InlineData("group_by=owner", "group_by", "Accepted values: provider, model, day")]
    public async Task A_bad_parameter_is_answered_with_a_problem_naming_it(string query, string parameter, string hint)
    {
        var response = await service.Client.GetAsync($"/v1/stats?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = problem.RootElement;
        Assert.Equal(400, root.GetProperty("status").GetInt32());
        var messages = root.GetProperty("errors").GetProperty(parameter).EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Contains(messages, m => m!.Contains(hint, StringComparison.Ordinal));
        Assert.Contains(hint, root.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_bad_parameter_is_named_at_once()
    {
        var response = await service.Client.GetAsync("/v1/stats?from=soon&to=later&group_by=hour");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var names = problem.RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order();
        Assert.Equal(["from", "group_by", "to"], names);
    }

    [Fact]
    public async Task A_full_year_and_a_day_is_accepted()
    {
        var report = await service.GetStatsAsync("from=2024-01-01&to=2024-12-31&group_by=DAY");

        Assert.Equal("day", report.GroupBy);
        Assert.Equal(TimeSpan.FromDays(366), report.To - report.From);
    }
}
