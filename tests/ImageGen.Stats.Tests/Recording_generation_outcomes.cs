using ImageGen.Contracts;
using ImageGen.Stats.Tests.Infrastructure;
using static ImageGen.Stats.Tests.Infrastructure.Outcomes;

namespace ImageGen.Stats.Tests;

public sealed class Recording_generation_outcomes(StatsServiceFixture service) : IClassFixture<StatsServiceFixture>
{
    private static readonly DateTimeOffset Day = new(2021, 3, 10, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Succeeded_and_failed_outcomes_are_counted_per_provider()
    {
        var owner = NewOwner();
        await service.PublishAsync(
            Succeeded(owner, "builtin", "renderer-1", Day.AddHours(1), images: 2, bytesPerImage: 1500),
            Succeeded(owner, "builtin", "renderer-1", Day.AddHours(2), images: 2, bytesPerImage: 1500),
            Succeeded(owner, "builtin", "renderer-2", Day.AddHours(3), images: 1, bytesPerImage: 4000),
            Failed(owner, "builtin", "renderer-1", Day.AddHours(4), ErrorCodes.Timeout),
            Succeeded(owner, "openai", "gpt-image-1", Day.AddHours(5), images: 1, bytesPerImage: 9000));

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2021-03-10&to=2021-03-10&group_by=provider", 5);

        Assert.Equal("provider", report.GroupBy);
        Assert.Equal(owner, report.Owner);
        Assert.Equal(["builtin", "openai"], report.Groups.Select(g => g.Key));

        var builtin = report.Group("builtin");
        Assert.Equal((4, 3, 1), (builtin.Total, builtin.Succeeded, builtin.Failed));
        Assert.Equal(0.75, builtin.SuccessRate);
        Assert.Equal(5, builtin.Images);
        Assert.Equal(2 * 1500 + 2 * 1500 + 4000, builtin.Bytes);

        var openai = report.Group("openai");
        Assert.Equal((1, 1, 0), (openai.Total, openai.Succeeded, openai.Failed));
        Assert.Equal(1.0, openai.SuccessRate);
        Assert.Equal(9000, openai.Bytes);

        Assert.Equal((5, 4, 1), (report.Totals.Total, report.Totals.Succeeded, report.Totals.Failed));
        Assert.Equal(0.8, report.Totals.SuccessRate);
        Assert.Equal(6, report.Totals.Images);
        Assert.Equal(19000, report.Totals.Bytes);
    }

    [Fact]
    public async Task A_redelivered_event_is_counted_once()
    {
        var owner = NewOwner();
        var success = Succeeded(owner, "replicate", "flux-schnell", Day.AddHours(6));
        var failure = Failed(owner, "replicate", "flux-schnell", Day.AddHours(7), ErrorCodes.RateLimited);
        var retried = Succeeded(owner, "replicate", "flux-schnell", Day.AddHours(8), jobId: failure.JobId, attempt: 2);

        await service.PublishAsync(success, failure, success, failure, retried);
        // Both copies must have been handled before "counted once" means anything.
        await service.Deliveries.WaitUntilAllConsumedAsync();

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2021-03-10&to=2021-03-10", 3);

        // The first and the second attempt of a job are two outcomes; the copies are none.
        Assert.Equal((3, 2, 1), (report.Totals.Total, report.Totals.Succeeded, report.Totals.Failed));
        Assert.Equal(new Dictionary<string, long> { [ErrorCodes.RateLimited] = 1 }, report.Totals.Errors);
    }

    [Fact]
    public async Task Failures_are_broken_down_by_error_code()
    {
        var owner = NewOwner();
        await service.PublishAsync(
            Failed(owner, "stability", "sd3", Day.AddHours(9), ErrorCodes.RateLimited),
            Failed(owner, "stability", "sd3", Day.AddHours(10), ErrorCodes.RateLimited),
            Failed(owner, "stability", "sd3", Day.AddHours(11), ErrorCodes.ProviderUnavailable),
            Succeeded(owner, "stability", "sd3", Day.AddHours(12)),
            Failed(owner, "leonardo", "phoenix", Day.AddHours(13), ErrorCodes.ContentPolicy),
            Succeeded(owner, "fal", "flux-dev", Day.AddHours(14)));

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2021-03-10&to=2021-03-10", 6);

        Assert.Equal(
            new Dictionary<string, long> { [ErrorCodes.RateLimited] = 2, [ErrorCodes.ProviderUnavailable] = 1 },
            report.Group("stability").Errors);
        Assert.Equal(new Dictionary<string, long> { [ErrorCodes.ContentPolicy] = 1 }, report.Group("leonardo").Errors);
        Assert.Empty(report.Group("fal").Errors);
        Assert.Equal(
            new Dictionary<string, long> { [ErrorCodes.RateLimited] = 2, [ErrorCodes.ProviderUnavailable] = 1, [ErrorCodes.ContentPolicy] = 1 },
            report.Totals.Errors);
        Assert.Equal(0.25, report.Group("stability").SuccessRate);
        Assert.Equal(0.0, report.Group("leonardo").SuccessRate);
    }
}
