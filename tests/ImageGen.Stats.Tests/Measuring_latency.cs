using ImageGen.Contracts;
using ImageGen.Stats.Tests.Infrastructure;
using static ImageGen.Stats.Tests.Infrastructure.Outcomes;

namespace ImageGen.Stats.Tests;

public sealed class Measuring_latency(StatsServiceFixture service) : IClassFixture<StatsServiceFixture>
{
    private static readonly DateTimeOffset At = new(2023, 9, 14, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Percentiles_interpolate_between_the_measured_latencies()
    {
        var owner = NewOwner();
        // Provider latencies 100, 200, ... 1000 ms, each queued 1 s before the worker started.
        await service.PublishAsync(Enumerable.Range(1, 10)
            .Select(i => (object)Succeeded(owner, "openai", "gpt-image-1", At.AddMinutes(i), latencyMs: i * 100, queuedMs: 1000))
            .ToArray());

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2023-09-14&to=2023-09-14", 10);

        // percentile_cont: p50 lies halfway between 500 and 600; p95 at 0.95 * 9 = 8.55 -> 900 + 0.55 * 100.
        var group = report.Group("openai");
        Assert.Equal(550, group.LatencyMs.P50);
        Assert.Equal(955, group.LatencyMs.P95);
        Assert.Equal(1550, group.TotalMs.P50);
        Assert.Equal(1955, group.TotalMs.P95);
        Assert.Equal(550, report.Totals.LatencyMs.P50);
    }

    [Fact]
    public async Task Failed_attempts_do_not_count_towards_latency()
    {
        var owner = NewOwner();
        await service.PublishAsync(
            Succeeded(owner, "kie", "flux-kontext", At.AddHours(1), latencyMs: 2000),
            Failed(owner, "kie", "flux-kontext", At.AddHours(2), ErrorCodes.Timeout, latencyMs: 120_000),
            Failed(owner, "hugging-face", "sdxl", At.AddHours(3), ErrorCodes.ProviderUnavailable, latencyMs: 50));

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2023-09-14&to=2023-09-14", 3);

        Assert.Equal(2000, report.Group("kie").LatencyMs.P50);
        Assert.Equal(2000, report.Group("kie").LatencyMs.P95);
        Assert.Null(report.Group("hugging-face").LatencyMs.P50);
        Assert.Null(report.Group("hugging-face").LatencyMs.P95);
        Assert.Equal(2000, report.Totals.LatencyMs.P95);
    }
}
