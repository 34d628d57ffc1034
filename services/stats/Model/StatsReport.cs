using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace ImageGen.Stats.Model;

/// <summary>Statistics of the outcomes completed in [<see cref="From"/>, <see cref="To"/>).</summary>
public sealed record StatsReport(
    DateTimeOffset From,
    DateTimeOffset To,
    string GroupBy,
    string? Owner,
    OutcomeSummary Totals,
    IReadOnlyList<StatsGroup> Groups);

/// <summary>Counts, sizes, latencies and errors of a set of outcomes.</summary>
public record OutcomeSummary
{
    public long Total { get; init; }

    public long Succeeded { get; init; }

    public long Failed { get; init; }

    /// <summary>Succeeded / total, or null when there were no outcomes (no data is not a 0 % success rate).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public double? SuccessRate { get; init; }

    public long Images { get; init; }

    public long Bytes { get; init; }

    /// <summary>Provider time (completed - started) of the succeeded outcomes.</summary>
    public Percentiles LatencyMs { get; init; } = Percentiles.None;

    /// <summary>Caller's wait (completed - requested, queueing included) of the succeeded outcomes.</summary>
    public Percentiles TotalMs { get; init; } = Percentiles.None;

    /// <summary>What the outcomes cost in US dollars (provider-reported where known, else estimated).</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Failed outcomes by error code.</summary>
    public IReadOnlyDictionary<string, long> Errors { get; init; } = new Dictionary<string, long>();
}

/// <summary>The summary of one group; <see cref="Key"/> is the provider, "provider/model" or the UTC day (YYYY-MM-DD).</summary>
public sealed record StatsGroup : OutcomeSummary
{
    [SetsRequiredMembers]
    public StatsGroup(string key, OutcomeSummary summary)
        : base(summary)
    {
        Key = key;
    }

    [JsonPropertyOrder(-1)]
    public required string Key { get; init; }
}

/// <summary>Continuous percentiles (interpolated, as PostgreSQL's percentile_cont); null without succeeded outcomes.</summary>
public sealed record Percentiles(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? P50,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? P95)
{
    public static readonly Percentiles None = new(null, null);
}
