using ImageGen.Stats.Tests.Infrastructure;
using static ImageGen.Stats.Tests.Infrastructure.Outcomes;

namespace ImageGen.Stats.Tests;

public sealed class Grouping_statistics(StatsServiceFixture service) : IClassFixture<StatsServiceFixture>
{
    [Fact]
    public async Task By_model_the_key_is_provider_and_model()
    {
        var owner = NewOwner();
        var at = new DateTimeOffset(2022, 4, 5, 12, 0, 0, TimeSpan.Zero);
        await service.PublishAsync(
            Succeeded(owner, "openai", "gpt-image-1", at),
            Succeeded(owner, "openai", "gpt-image-1", at.AddMinutes(1)),
            Succeeded(owner, "openai", "dall-e-3", at.AddMinutes(2)),
            Succeeded(owner, "fal", "flux-pro", at.AddMinutes(3)));

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2022-04-05&to=2022-04-05&group_by=model", 4);

        Assert.Equal("model", report.GroupBy);
        Assert.Equal(["fal/flux-pro", "openai/dall-e-3", "openai/gpt-image-1"], report.Groups.Select(g => g.Key));
        Assert.Equal([1L, 1L, 2L], report.Groups.Select(g => g.Total));
        Assert.Equal(4, report.Totals.Total);
    }

    [Fact]
    public async Task By_day_the_key_is_the_utc_date_of_completion()
    {
        var owner = NewOwner();
        await service.PublishAsync(
            Succeeded(owner, "builtin", "renderer", new DateTimeOffset(2022, 6, 1, 12, 0, 0, TimeSpan.Zero)),
            // 23:30 at UTC-2 is 01:30 on the next UTC day.
            Succeeded(owner, "builtin", "renderer", new DateTimeOffset(2022, 6, 1, 23, 30, 0, TimeSpan.FromHours(-2))),
            Failed(owner, "builtin", "renderer", new DateTimeOffset(2022, 6, 2, 23, 59, 59, TimeSpan.Zero), "timeout"),
            // Outside the window: a date-only "to" ends with that day.
            Succeeded(owner, "builtin", "renderer", new DateTimeOffset(2022, 6, 3, 0, 0, 0, TimeSpan.Zero)));
        await service.Deliveries.WaitUntilAllConsumedAsync();

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2022-06-01&to=2022-06-02&group_by=day", 3);

        Assert.Equal("day", report.GroupBy);
        Assert.Equal(["2022-06-01", "2022-06-02"], report.Groups.Select(g => g.Key));
        Assert.Equal(1, report.Group("2022-06-01").Total);
        Assert.Equal((2, 1, 1), (report.Group("2022-06-02").Total, report.Group("2022-06-02").Succeeded, report.Group("2022-06-02").Failed));
        Assert.Equal(3, report.Totals.Total);
        Assert.Equal(new DateTimeOffset(2022, 6, 1, 0, 0, 0, TimeSpan.Zero), report.From);
        Assert.Equal(new DateTimeOffset(2022, 6, 3, 0, 0, 0, TimeSpan.Zero), report.To);
    }

    [Fact]
    public async Task Grouping_is_by_provider_unless_asked_otherwise()
    {
        var owner = NewOwner();
        var at = new DateTimeOffset(2022, 8, 9, 8, 0, 0, TimeSpan.Zero);
        await service.PublishAsync(Succeeded(owner, "comfyui", "sdxl", at), Succeeded(owner, "comfyui", "flux", at));

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2022-08-09&to=2022-08-09", 2);

        Assert.Equal("provider", report.GroupBy);
        Assert.Equal(2, Assert.Single(report.Groups, g => g.Key == "comfyui").Total);
    }
}
