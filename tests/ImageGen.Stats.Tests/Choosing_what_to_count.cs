using ImageGen.Stats.Tests.Infrastructure;
using static ImageGen.Stats.Tests.Infrastructure.Outcomes;

namespace ImageGen.Stats.Tests;

public sealed class Choosing_what_to_count(StatsServiceFixture service) : IClassFixture<StatsServiceFixture>
{
    [Fact]
    public async Task The_owner_filter_keeps_only_that_owners_outcomes()
    {
        var alice = NewOwner();
        var bob = NewOwner();
        // A one-hour window no other test uses, so the unfiltered count is exactly these outcomes.
        var at = new DateTimeOffset(2020, 2, 2, 10, 0, 0, TimeSpan.Zero);
        await service.PublishAsync(
            Succeeded(alice, "openai", "gpt-image-1", at.AddMinutes(1)),
            Succeeded(alice, "openai", "gpt-image-1", at.AddMinutes(2)),
            Succeeded(bob, "openai", "gpt-image-1", at.AddMinutes(3)));
        const string window = "from=2020-02-02T10:00:00Z&to=2020-02-02T11:00:00Z";

        var everyone = await service.WaitForTotalAsync(window, 3);
        var onlyAlice = await service.GetStatsAsync($"{window}&owner={alice}");

        Assert.Equal(3, everyone.Totals.Total);
        Assert.Null(everyone.Owner);
        Assert.Equal(2, onlyAlice.Totals.Total);
        Assert.Equal(alice, onlyAlice.Owner);
    }

    [Fact]
    public async Task The_window_includes_from_and_excludes_to()
    {
        var owner = NewOwner();
        var from = new DateTimeOffset(2020, 5, 5, 8, 0, 0, TimeSpan.Zero);
        var to = from.AddHours(2);
        await service.PublishAsync(
            Succeeded(owner, "builtin", "renderer", from.AddMilliseconds(-1)),
            Succeeded(owner, "builtin", "renderer", from),
            Succeeded(owner, "builtin", "renderer", to.AddMilliseconds(-1)),
            Succeeded(owner, "builtin", "renderer", to));
        await service.Deliveries.WaitUntilAllConsumedAsync();

        // Offsets in the query are honoured: 10:00+02:00 is 08:00 UTC.
        var report = await service.WaitForTotalAsync(
            $"owner={owner}&from={Uri.EscapeDataString("2020-05-05T10:00:00+02:00")}&to=2020-05-05T10:00:00Z", 2);

        Assert.Equal(2, report.Totals.Total);
        Assert.Equal(from, report.From);
        Assert.Equal(to, report.To);
    }

    [Fact]
    public async Task Without_a_window_the_last_24_hours_are_reported()
    {
        var owner = NewOwner();
        var now = DateTimeOffset.UtcNow;
        await service.PublishAsync(
            Succeeded(owner, "builtin", "renderer", now.AddHours(-1)),
            Succeeded(owner, "builtin", "renderer", now.AddHours(-23)),
            Succeeded(owner, "builtin", "renderer", now.AddHours(-25)));
        await service.Deliveries.WaitUntilAllConsumedAsync();

        var report = await service.WaitForTotalAsync($"owner={owner}", 2);

        Assert.Equal(2, report.Totals.Total);
        Assert.Equal(TimeSpan.FromHours(24), report.To - report.From);
        Assert.InRange(report.To, now, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task An_empty_window_reports_zeros_and_no_rates()
    {
        var report = await service.GetStatsAsync($"owner={NewOwner()}&from=2019-01-01&to=2019-01-31");

        Assert.Equal(0, report.Totals.Total);
        Assert.Null(report.Totals.SuccessRate);
        Assert.Null(report.Totals.LatencyMs.P50);
        Assert.Empty(report.Groups);
    }
}
