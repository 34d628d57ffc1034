namespace ImageGen.Stats.Tests.Infrastructure;

// The response as a client sees it on the wire (snake_case), kept apart from the service's own types so
// that a renamed property shows up as a failing test.

public sealed class StatsReport
{
    public DateTimeOffset From { get; init; }

    public DateTimeOffset To { get; init; }

    public string GroupBy { get; init; } = "";

    public string? Owner { get; init; }

    public Summary Totals { get; init; } = new();

    public List<Group> Groups { get; init; } = [];

    public Group Group(string key) =>
        Groups.SingleOrDefault(g => g.Key == key)
        ?? throw new Xunit.Sdk.XunitException($"No group '{key}'; groups: {string.Join(", ", Groups.Select(g => g.Key))}");
}

public class Summary
{
    public long Total { get; init; }

    public long Succeeded { get; init; }

    public long Failed { get; init; }

    public double? SuccessRate { get; init; }

    public long Images { get; init; }

    public long Bytes { get; init; }

    public Percentiles LatencyMs { get; init; } = new();

    public Percentiles TotalMs { get; init; } = new();

    public Dictionary<string, long> Errors { get; init; } = [];

    public decimal CostUsd { get; init; }
}

public sealed class Group : Summary
{
    public string Key { get; init; } = "";
}

public sealed class Percentiles
{
    public double? P50 { get; init; }

    public double? P95 { get; init; }
}
