using System.Text.Json;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Fal;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Adapters.Fal;

public sealed class Generating_images_with_fal : IAsyncLifetime
{
    private FalFake _fake = null!;
    private FalTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await FalFake.StartAsync();
        _host = FalTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task Submitting_queues_the_model_with_the_key_header_and_the_translated_parameters_without_waiting()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(count: 2, seed: 3_000_000_000, format: ImageOutputFormat.Jpeg), CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.False(string.IsNullOrEmpty(submission.TaskId));
        Assert.Equal(TimeSpan.FromMilliseconds(20), submission.NextPollIn);
        var call = Assert.Single(_fake.Server.RequestsTo($"/{FalFake.Schnell}"));
        Assert.Equal(("POST", string.Empty), (call.Method, call.Query));
        Assert.Equal($"Key {FalFake.ApiKey}", call.Header("Authorization"));
        var body = call.Json();
        Assert.Equal("a lighthouse on a cliff at dusk", body.GetProperty("prompt").GetString());
        Assert.Equal("portrait_4_3", body.GetProperty("image_size").GetString());
        Assert.Equal(2, body.GetProperty("num_images").GetInt32());
        Assert.Equal(3_000_000_000, body.GetProperty("seed").GetInt64());
        Assert.Equal("jpeg", body.GetProperty("output_format").GetString());
        Assert.Equal(JsonValueKind.True, body.GetProperty("enable_safety_checker").ValueKind);
        Assert.False(body.TryGetProperty("safety_tolerance", out _));
        Assert.DoesNotContain(_fake.Server.Requests, r => r.Method == "GET");
    }

    [Fact]
    public async Task A_size_that_is_no_preset_goes_as_a_width_and_height_object()
    {
        await _host.Adapter.SubmitAsync(FalTestHost.Request(width: 1024, height: 1536, imageSize: "1024x1536"), CancellationToken.None);

        var size = _fake.Server.RequestsTo($"/{FalFake.Schnell}")[0].Json().GetProperty("image_size");
        Assert.Equal(JsonValueKind.Object, size.ValueKind);
        Assert.Equal((1024, 1536), (size.GetProperty("width").GetInt32(), size.GetProperty("height").GetInt32()));
    }

    [Fact]
    public async Task Polls_follow_the_queue_to_completion_on_the_apps_own_paths_and_deliver_images_of_the_asked_size()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(count: 2), CancellationToken.None);

        var queued = await _host.Adapter.PollAsync(FalTestHost.Poll(submission, 0), CancellationToken.None);
        var running = await _host.Adapter.PollAsync(FalTestHost.Poll(submission, 1), CancellationToken.None);
        var completed = await _host.Adapter.PollAsync(FalTestHost.Poll(submission, 2), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(queued);
        Assert.IsType<ProviderPollResult.StillRunning>(running);
        var done = Assert.IsType<ProviderPollResult.Done>(completed);
        Assert.Equal(FalFake.Schnell, done.Result.Model);
        Assert.Empty(done.Result.Warnings);
        Assert.Equal(2, done.Result.Images.Count);
        foreach (var image in done.Result.Images)
        {
            Assert.Equal(("image/png", 768, 1024), (image.ContentType, image.Width, image.Height));
            using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
            Assert.Equal((768, 1024), (decoded.Width, decoded.Height));
        }

        // Status and result live under the app (fal-ai/flux), not under the endpoint path (fal-ai/flux/schnell).
        var statuses = _fake.Server.RequestsTo(FalFake.StatusPath("fal-ai/flux", submission.TaskId!));
        Assert.Equal(3, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(("GET", $"Key {FalFake.ApiKey}"), (s.Method, s.Header("Authorization"))));
        Assert.Single(_fake.Server.RequestsTo(FalFake.ResultPath("fal-ai/flux", submission.TaskId!)));
    }

    [Fact]
    public async Task Polling_backs_off_from_the_short_interval_to_the_long_one()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: "a harbour that is never done"), CancellationToken.None);

        var early = Assert.IsType<ProviderPollResult.StillRunning>(await _host.Adapter.PollAsync(FalTestHost.Poll(submission, 0), CancellationToken.None));
        var late = Assert.IsType<ProviderPollResult.StillRunning>(
            await _host.Adapter.PollAsync(FalTestHost.Poll(submission, FalAdapter.FastPolls), CancellationToken.None));

        Assert.Equal(TimeSpan.FromMilliseconds(20), early.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(40), late.NextPollIn);
    }

    [Fact]
    public async Task Generating_in_one_call_submits_and_polls_until_the_images_are_there()
    {
        var result = await _host.Adapter.GenerateAsync(
            FalTestHost.Request(prompt: "a slow tide", model: FalFake.Dev, width: 1024, height: 576, imageSize: "landscape_16_9"), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal((1024, 576), (image.Width, image.Height));
        Assert.Equal(FalFake.Dev, result.Model);
        Assert.Equal(6, _fake.Server.Requests.Count(r => r.Path.EndsWith("/status", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Flux_pro_is_sent_its_safety_tolerance_and_a_custom_size()
    {
        var result = await _host.Adapter.GenerateAsync(
            FalTestHost.Request(model: FalFake.Pro, width: 1152, height: 896, imageSize: "1152x896"), CancellationToken.None);

        var body = _fake.Server.RequestsTo($"/{FalFake.Pro}")[0].Json();
        Assert.Equal("2", body.GetProperty("safety_tolerance").GetString());
        Assert.Equal((1152, 896), (result.Images[0].Width, result.Images[0].Height));
        // The result of a fal-ai/flux-pro/v1.1 request is read under fal-ai/flux-pro.
        Assert.Contains(_fake.Server.Requests, r => r.Method == "GET" && r.Path.StartsWith("/fal-ai/flux-pro/requests/", StringComparison.Ordinal)
                                                    && !r.Path.EndsWith("/status", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_safety_checker_is_off_only_when_configured_so()
    {
        using var host = FalTestHost.For(_fake, new() { ["Providers:fal:Options:EnableSafetyChecker"] = "false" });

        await host.Adapter.SubmitAsync(FalTestHost.Request(), CancellationToken.None);

        Assert.Equal(JsonValueKind.False, _fake.Server.RequestsTo($"/{FalFake.Schnell}")[0].Json().GetProperty("enable_safety_checker").ValueKind);
    }

    [Fact]
    public async Task Images_the_safety_checker_flagged_are_withheld_with_a_warning_and_the_others_delivered()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: "a crowded beach nsfw-some", count: 3), CancellationToken.None);

        var done = Assert.IsType<ProviderPollResult.Done>(await _host.PollUntilDoneAsync(submission));

        Assert.Equal(2, done.Result.Images.Count);
        var warning = Assert.Single(done.Result.Warnings);
        Assert.Contains("1 of 3", warning);
        Assert.Empty(_fake.Server.RequestsTo($"/files/{submission.TaskId}/0.png"));
        Assert.Single(_fake.Server.RequestsTo($"/files/{submission.TaskId}/1.png"));
    }

    [Fact]
    public async Task A_webhook_address_is_passed_as_fal_webhook_and_the_poll_becomes_a_safety_net()
    {
        var webhook = new Uri("https://images.example.test/v1/webhooks/fal?source=queue&x=1");
        // Nobody listens there: the request must not complete (and try to call it) during the test.
        _fake.WebhookDelay = Timeout.InfiniteTimeSpan;

        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(webhookUrl: webhook), CancellationToken.None);

        var call = _fake.Server.RequestsTo($"/{FalFake.Schnell}")[0];
        Assert.Equal($"?fal_webhook={Uri.EscapeDataString(webhook.AbsoluteUri)}", call.Query);
        Assert.Equal(TimeSpan.FromMilliseconds(250), submission.NextPollIn);
        var later = Assert.IsType<ProviderPollResult.StillRunning>(await _host.Adapter.PollAsync(FalTestHost.Poll(submission, 0), CancellationToken.None));
        Assert.Equal(TimeSpan.FromMilliseconds(250), later.NextPollIn);
    }

    [Fact]
    public async Task Urls_in_the_poll_state_that_are_off_the_configured_origin_are_never_called()
    {
        await using var elsewhere = await FakeProviderServer.StartAsync(app => app.MapFallback(() => Results.Json(new { status = "COMPLETED" })));
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(), CancellationToken.None);
        var tampered = JsonSerializer.Serialize(new
        {
            status_url = elsewhere.Url($"fal-ai/flux/requests/{submission.TaskId}/status").ToString(),
            response_url = elsewhere.Url($"fal-ai/flux/requests/{submission.TaskId}").ToString(),
            cancel_url = elsewhere.Url($"fal-ai/flux/requests/{submission.TaskId}/cancel").ToString(),
            count = 1,
            webhook = false,
        });

        var verdict = await _host.Adapter.PollAsync(FalTestHost.Poll(submission.TaskId!, tampered, 0), CancellationToken.None);
        await _host.Adapter.CancelAsync(FalTestHost.Poll(submission.TaskId!, tampered, 1), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(verdict);
        Assert.Empty(elsewhere.Requests);
        Assert.Single(_fake.Server.RequestsTo(FalFake.StatusPath("fal-ai/flux", submission.TaskId!)));
        Assert.Single(_fake.Server.RequestsTo(FalFake.CancelPath("fal-ai/flux", submission.TaskId!)));
    }

    [Fact]
    public async Task A_poll_without_state_still_finds_the_request_by_its_id_and_model()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(), CancellationToken.None);

        var verdict = await _host.Adapter.PollAsync(FalTestHost.Poll(submission.TaskId!, state: null, 0), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(verdict);
        Assert.Single(_fake.Server.RequestsTo(FalFake.StatusPath("fal-ai/flux", submission.TaskId!)));
    }
}
