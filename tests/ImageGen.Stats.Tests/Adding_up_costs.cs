using ImageGen.Stats.Tests.Infrastructure;
using static ImageGen.Stats.Tests.Infrastructure.Outcomes;

namespace ImageGen.Stats.Tests;

public sealed class Adding_up_costs(StatsServiceFixture service) : IClassFixture<StatsServiceFixture>
{
    [Fact]
    public async Task Costs_add_up_per_group_and_in_total_including_charged_failures()
    {
        var owner = NewOwner();
        var at = new DateTimeOffset(2023, 2, 3, 10, 0, 0, TimeSpan.Zero);
        await service.PublishAsync(
            Succeeded(owner, "openai", "gpt-image-1", at, costUsd: 0.042m),
            Succeeded(owner, "openai", "gpt-image-1", at.AddMinutes(1), costUsd: 0.167m),
            Failed(owner, "replicate", "flux-schnell", at.AddMinutes(2), "content_policy", costUsd: 0.003m),
            Succeeded(owner, "builtin", "procedural-v1", at.AddMinutes(3)));

        var report = await service.WaitForTotalAsync($"owner={owner}&from=2023-02-03&to=2023-02-03", 4);

        Assert.Equal(0.209m, report.Group("openai").CostUsd);
        Assert.Equal(0.003m, report.Group("replicate").CostUsd);
        Assert.Equal(0m, report.Group("builtin").CostUsd);
        Assert.Equal(0.212m, report.Totals.CostUsd);
    }
}
