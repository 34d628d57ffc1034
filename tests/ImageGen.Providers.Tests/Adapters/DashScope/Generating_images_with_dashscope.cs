using System.Text.Json;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.DashScope;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.DashScope;

public sealed class Generating_images_with_dashscope : IAsyncLifetime
{
    private FakeProviderServer _fake = null!;
    private DashScopeTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await DashScopeFake.StartAsync();
        _host = DashScopeTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task Submitting_creates_an_async_task_with_the_translated_size_and_returns_its_id_without_waiting()
    {
        var submission = await _host.Adapter.SubmitAsync(
            DashScopeTestHost.Request(count: 3, seed: 4_294_967_000, negativePrompt: "text, watermark",
                parameters: new() { ["size"] = "960*1440", ["prompt_extend"] = "false" }),
            CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.False(string.IsNullOrEmpty(submission.TaskId));
        Assert.Equal(TimeSpan.FromMilliseconds(50), submission.NextPollIn);
        var call = Assert.Single(_fake.RequestsTo(DashScopeFake.SubmitPath));
        Assert.Equal("POST", call.Method);
        Assert.Equal($"Bearer {DashScopeFake.ApiKey}", call.Header("Authorization"));
        Assert.Equal("enable", call.Header("X-DashScope-Async"));
        var body = call.Json();
        Assert.Equal(DashScopeFake.Flash, body.GetProperty("model").GetString());
        Assert.Equal("a tea house in the mountains at dawn", body.GetProperty("input").GetProperty("prompt").GetString());
        Assert.Equal("text, watermark", body.GetProperty("input").GetProperty("negative_prompt").GetString());
        var parameters = body.GetProperty("parameters");
        Assert.Equal("960*1440", parameters.GetProperty("size").GetString());
        Assert.Equal(3, parameters.GetProperty("n").GetInt32());
        Assert.Equal(4_294_967_000L % 2_147_483_648L, parameters.GetProperty("seed").GetInt64());
        Assert.Equal(JsonValueKind.False, parameters.GetProperty("prompt_extend").ValueKind);
        Assert.Equal(JsonValueKind.False, parameters.GetProperty("watermark").ValueKind);
        Assert.DoesNotContain(_fake.Requests, r => r.Method == "GET");
    }

    [Fact]
    public async Task Polls_report_the_task_running_and_then_deliver_its_images_at_the_asked_size()
    {
        var submission = await _host.Adapter.SubmitAsync(DashScopeTestHost.Request(count: 2), CancellationToken.None);

        var first = await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 0), CancellationToken.None);
        var second = await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 1), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(first);
        var done = Assert.IsType<ProviderPollResult.Done>(second);
        Assert.Equal(DashScopeFake.Flash, done.Result.Model);
        Assert.Equal(2, done.Result.Images.Count);
        foreach (var image in done.Result.Images)
        {
            Assert.Equal(("image/png", 960, 1440), (image.ContentType, image.Width, image.Height));
            using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
            Assert.Equal((960, 1440), (decoded.Width, decoded.Height));
        }

        var poll = _fake.RequestsTo(DashScopeFake.TaskPath(submission.TaskId!))[0];
        Assert.Equal(("GET", $"Bearer {DashScopeFake.ApiKey}"), (poll.Method, poll.Header("Authorization")));
    }

    [Fact]
    public async Task Polling_backs_off_from_the_short_interval_to_the_long_one()
    {
        var submission = await _host.Adapter.SubmitAsync(DashScopeTestHost.Request(prompt: "a quiet pond never"), CancellationToken.None);

        var early = Assert.IsType<ProviderPollResult.StillRunning>(await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 0), CancellationToken.None));
        var late = Assert.IsType<ProviderPollResult.StillRunning>(
            await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, DashScopeAdapter.FastPolls), CancellationToken.None));

        Assert.Equal(TimeSpan.FromMilliseconds(50), early.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(100), late.NextPollIn);
    }

    [Fact]
    public async Task A_result_that_failed_on_its_own_leaves_the_others_delivered_and_charged_alone()
    {
        var submission = await _host.Adapter.SubmitAsync(DashScopeTestHost.Request(prompt: "a market one-result-fails", count: 4), CancellationToken.None);
        await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 0), CancellationToken.None);

        var done = Assert.IsType<ProviderPollResult.Done>(
            await _host.Adapter.PollAsync(DashScopeTestHost.Poll(submission, 1, estimatedCostUsd: 0.1m), CancellationToken.None));

        Assert.Equal(3, done.Result.Images.Count);
        Assert.Equal(0.075m, done.Result.CostUsd);
    }

    [Fact]
    public async Task Generating_in_one_call_submits_and_polls_until_the_images_are_there()
    {
        var result = await _host.Adapter.GenerateAsync(DashScopeTestHost.Request(prompt: "a lantern slow", width: 1440, height: 512), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal((1440, 512), (image.Width, image.Height));
        Assert.Equal(5, _fake.Requests.Count(r => r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Wan_2_5_takes_a_size_beyond_the_2_2_side_limit_inside_its_pixel_window()
    {
        var result = await _host.Adapter.GenerateAsync(
            DashScopeTestHost.Request(model: DashScopeFake.Wan25, width: 768, height: 2700), CancellationToken.None);

        Assert.Equal((768, 2700), (result.Images[0].Width, result.Images[0].Height));
        Assert.Equal("768*2700", _fake.RequestsTo(DashScopeFake.SubmitPath)[0].Json().GetProperty("parameters").GetProperty("size").GetString());
    }
}
