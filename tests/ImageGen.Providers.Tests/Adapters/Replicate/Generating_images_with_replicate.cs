using System.Text.Json;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Replicate;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Adapters.Replicate;

public sealed class Generating_images_with_replicate : IAsyncLifetime
{
    private ReplicateFake _fake = null!;

    public async Task InitializeAsync() => _fake = await ReplicateFake.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task A_submission_waits_for_the_prediction_and_returns_its_images_at_once()
    {
        using var host = ReplicateTestHost.For(_fake);

        var submission = await host.Adapter.SubmitAsync(
            ReplicateTestHost.Request(width: 832, height: 1216, count: 2, seed: 4_000_000_000, parameters: new() { ["aspect_ratio"] = "2:3" }),
            CancellationToken.None);

        var result = Assert.IsType<ProviderResult>(submission.Result);
        Assert.Equal(ReplicateFake.Schnell, result.Model);
        Assert.Equal(2, result.Images.Count);
        foreach (var image in result.Images)
        {
            Assert.Equal(("image/png", 832, 1216), (image.ContentType, image.Width, image.Height));
            using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
            Assert.Equal((832, 1216), (decoded.Width, decoded.Height));
        }

        Assert.Empty(result.Warnings);
        Assert.Null(result.CostUsd);
        var call = Assert.Single(_fake.Server.RequestsTo(ReplicateFake.PredictionsPath(ReplicateFake.Schnell)));
        Assert.Equal("POST", call.Method);
        Assert.Equal($"Bearer {ReplicateFake.ApiKey}", call.Header("Authorization"));
        Assert.Equal("wait=60", call.Header("Prefer"));
        var body = call.Json();
        Assert.False(body.TryGetProperty("webhook", out _));
        Assert.False(body.TryGetProperty("webhook_events_filter", out _));
        var input = body.GetProperty("input");
        Assert.Equal("a lighthouse on a cliff at dusk", input.GetProperty("prompt").GetString());
        Assert.Equal("2:3", input.GetProperty("aspect_ratio").GetString());
        Assert.Equal("1", input.GetProperty("megapixels").GetString());
        Assert.Equal(2, input.GetProperty("num_outputs").GetInt32());
        Assert.Equal(4_000_000_000L, input.GetProperty("seed").GetInt64());
        Assert.Equal("png", input.GetProperty("output_format").GetString());
        Assert.DoesNotContain(_fake.Server.Requests, r => r.Path.StartsWith("/v1/predictions/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(512, 512, "1:1", "0.25", ImageOutputFormat.Webp, "webp", "image/webp")]
    [InlineData(672, 384, "16:9", "0.25", ImageOutputFormat.Jpeg, "jpg", "image/jpeg")]
    [InlineData(1344, 768, "16:9", "1", ImageOutputFormat.Webp, "webp", "image/webp")]
    public async Task The_size_the_orchestrator_chose_is_sent_as_aspect_ratio_and_megapixels_and_comes_back_in_the_asked_format(
        int width, int height, string ratio, string megapixels, ImageOutputFormat format, string sentFormat, string contentType)
    {
        using var host = ReplicateTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(
            ReplicateTestHost.Request(width: width, height: height, format: format, parameters: new() { ["aspect_ratio"] = ratio }), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal((contentType, width, height), (image.ContentType, image.Width, image.Height));
        var input = _fake.Server.RequestsTo(ReplicateFake.PredictionsPath(ReplicateFake.Schnell))[0].Json().GetProperty("input");
        Assert.Equal((ratio, megapixels, sentFormat),
            (input.GetProperty("aspect_ratio").GetString(), input.GetProperty("megapixels").GetString(), input.GetProperty("output_format").GetString()));
    }

    [Fact]
    public async Task The_wait_is_configurable_and_zero_submits_without_waiting_for_a_prediction_that_is_then_polled_to_its_images()
    {
        using var waiting = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "5" });
        using var notWaiting = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });

        await waiting.Adapter.SubmitAsync(ReplicateTestHost.Request(), CancellationToken.None);
        var submission = await notWaiting.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a harbour two-polls", model: ReplicateFake.Dev), CancellationToken.None);

        var calls = _fake.Server.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal("wait=5", calls[0].Header("Prefer"));
        Assert.Null(calls[1].Header("Prefer"));
        Assert.Null(submission.Result);
        Assert.Equal(TimeSpan.FromMilliseconds(50), submission.NextPollIn);

        var first = await notWaiting.Adapter.PollAsync(ReplicateTestHost.Poll(submission, 0, ReplicateFake.Dev), CancellationToken.None);
        var second = await notWaiting.Adapter.PollAsync(ReplicateTestHost.Poll(submission, 1, ReplicateFake.Dev), CancellationToken.None);

        Assert.Equal(TimeSpan.FromMilliseconds(50), Assert.IsType<ProviderPollResult.StillRunning>(first).NextPollIn);
        var done = Assert.IsType<ProviderPollResult.Done>(second);
        Assert.Equal(ReplicateFake.Dev, done.Result.Model);
        Assert.Equal((1024, 1024), (done.Result.Images[0].Width, done.Result.Images[0].Height));
        var poll = _fake.Server.RequestsTo(ReplicateFake.PredictionPath(submission.TaskId!))[0];
        Assert.Equal(("GET", $"Bearer {ReplicateFake.ApiKey}"), (poll.Method, poll.Header("Authorization")));
    }

    [Fact]
    public async Task A_prediction_that_outlasts_the_wait_is_returned_pending_with_its_id()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "1" });

        var submission = await host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a glacier never"), CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.Single(_fake.Server.RequestsTo(ReplicateFake.PredictionsPath(ReplicateFake.Schnell)));
        var state = JsonDocument.Parse(submission.State!).RootElement;
        Assert.Equal(submission.TaskId, state.GetProperty("ids")[0].GetString());
        Assert.Equal(1, state.GetProperty("requested").GetInt32());
    }

    [Fact]
    public async Task Polling_backs_off_from_the_short_interval_to_the_long_one()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });
        var submission = await host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a desert never"), CancellationToken.None);

        var early = Assert.IsType<ProviderPollResult.StillRunning>(await host.Adapter.PollAsync(ReplicateTestHost.Poll(submission, 0), CancellationToken.None));
        var late = Assert.IsType<ProviderPollResult.StillRunning>(
            await host.Adapter.PollAsync(ReplicateTestHost.Poll(submission, ReplicateAdapter.FastPolls), CancellationToken.None));

        Assert.Equal(TimeSpan.FromMilliseconds(50), early.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(100), late.NextPollIn);
    }

    [Fact]
    public async Task Generating_in_one_call_submits_and_polls_until_the_images_are_there()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });

        var result = await host.Adapter.GenerateAsync(ReplicateTestHost.Request(prompt: "a canyon two-polls", count: 3), CancellationToken.None);

        Assert.Equal(3, result.Images.Count);
        Assert.Equal(2, _fake.Server.Requests.Count(r => r.Method == "GET" && r.Path.StartsWith("/v1/predictions/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Flux_1_1_pro_makes_one_prediction_per_image_at_the_exact_size_with_a_seed_each()
    {
        using var host = ReplicateTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(
            ReplicateTestHost.Request(model: ReplicateFake.Pro, width: 1024, height: 576, count: 3, seed: 7, format: ImageOutputFormat.Jpeg), CancellationToken.None);

        Assert.Equal(3, result.Images.Count);
        Assert.All(result.Images, i => Assert.Equal(("image/jpeg", 1024, 576), (i.ContentType, i.Width, i.Height)));
        var inputs = _fake.Server.RequestsTo(ReplicateFake.PredictionsPath(ReplicateFake.Pro)).Select(r => r.Json().GetProperty("input")).ToList();
        Assert.Equal(3, inputs.Count);
        Assert.Equal(new long[] { 7, 8, 9 }, inputs.Select(i => i.GetProperty("seed").GetInt64()).Order().ToArray());
        Assert.All(inputs, i =>
        {
            Assert.Equal(("custom", 1024, 576, "jpg"),
                (i.GetProperty("aspect_ratio").GetString(), i.GetProperty("width").GetInt32(), i.GetProperty("height").GetInt32(), i.GetProperty("output_format").GetString()));
            Assert.False(i.TryGetProperty("num_outputs", out _));
        });
    }

    [Fact]
    public async Task Images_the_safety_checker_withholds_leave_the_rest_delivered_with_a_warning_and_charged_alone()
    {
        using var host = ReplicateTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(
            ReplicateTestHost.Request(prompt: "a beach some-nsfw", count: 4, estimatedCostUsd: 0.012m), CancellationToken.None);

        Assert.Equal(3, result.Images.Count);
        Assert.Equal(0.009m, result.CostUsd);
        Assert.Contains(result.Warnings, w => w.Contains("3 of the 4", StringComparison.Ordinal) && w.Contains("safety checker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_flux_pro_prediction_flagged_among_several_leaves_the_others_delivered_with_its_reason()
    {
        using var host = ReplicateTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(
            ReplicateTestHost.Request(prompt: "a crowd odd-seed-flagged", model: ReplicateFake.Pro, count: 2, seed: 10, estimatedCostUsd: 0.08m), CancellationToken.None);

        Assert.Single(result.Images);
        Assert.Equal(0.04m, result.CostUsd);
        Assert.Contains(result.Warnings, w => w.Contains("1 of the 2", StringComparison.Ordinal) && w.Contains("flagged as sensitive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_webhook_is_asked_for_only_when_the_attempt_runs_on_the_workers_own_key_and_then_polled_only_as_a_safety_net()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });
        var hook = new Uri("https://images.example.com/v1/webhooks/replicate");

        var own = await host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a forest never", webhookUrl: hook), CancellationToken.None);
        var callers = await host.Adapter.SubmitAsync(
            ReplicateTestHost.Request(prompt: "a forest never", webhookUrl: hook, key: ReplicateFake.OtherAccountKey), CancellationToken.None);

        var bodies = _fake.Server.RequestsTo(ReplicateFake.PredictionsPath(ReplicateFake.Schnell)).Select(r => r.Json()).ToList();
        Assert.Equal(hook.ToString(), bodies[0].GetProperty("webhook").GetString());
        Assert.Equal(new[] { "completed" }, bodies[0].GetProperty("webhook_events_filter").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.False(bodies[1].TryGetProperty("webhook", out _));
        Assert.Equal(ReplicateAdapter.DefaultWebhookPollInterval, own.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(50), callers.NextPollIn);
        var stillRunning = Assert.IsType<ProviderPollResult.StillRunning>(await host.Adapter.PollAsync(ReplicateTestHost.Poll(own, 0), CancellationToken.None));
        Assert.Equal(ReplicateAdapter.DefaultWebhookPollInterval, stillRunning.NextPollIn);
    }

    [Fact]
    public async Task The_fake_posts_the_signed_webhook_when_a_prediction_that_outlasted_the_wait_ends_and_the_adapter_accepts_it_with_the_secret_it_fetched()
    {
        await using var receiver = await FakeProviderServer.StartAsync(app => app.MapPost("/v1/webhooks/replicate", () => Results.Ok()));
        await using var fake = await ReplicateFake.StartAsync(slowDelay: TimeSpan.FromMilliseconds(300));
        using var host = ReplicateTestHost.For(fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });

        var submission = await host.Adapter.SubmitAsync(
            ReplicateTestHost.Request(prompt: "a lagoon slow", webhookUrl: receiver.Url("v1/webhooks/replicate")), CancellationToken.None);
        var delivered = await Eventually(() => receiver.RequestsTo("/v1/webhooks/replicate").FirstOrDefault());
        var notification = await host.Adapter.ReadWebhookAsync(
            new ProviderWebhookRequest(delivered.Headers, delivered.Body, DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.Equal(new ProviderWebhookNotification(submission.TaskId!, Finished: true), notification);
        Assert.StartsWith("v1,", delivered.Header("webhook-signature"));
        Assert.Equal("succeeded", delivered.Json().GetProperty("status").GetString());
        var secretCall = Assert.Single(fake.Server.RequestsTo(ReplicateFake.SecretPath));
        Assert.Equal(("GET", $"Bearer {ReplicateFake.ApiKey}"), (secretCall.Method, secretCall.Header("Authorization")));
        Assert.Contains(fake.Deliveries, d => d.StatusCode == 200 && d.Attempt == 1);
        Assert.IsType<ProviderPollResult.Done>(await host.Adapter.PollAsync(ReplicateTestHost.Poll(submission, 0), CancellationToken.None));
    }

    [Fact]
    public async Task Canceling_a_task_cancels_each_of_its_predictions_at_replicate_with_the_key()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });
        var submission = await host.Adapter.SubmitAsync(
            ReplicateTestHost.Request(prompt: "a mountain never", model: ReplicateFake.Pro, count: 2), CancellationToken.None);
        var ids = JsonDocument.Parse(submission.State!).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!).ToList();

        await host.Adapter.CancelAsync(ReplicateTestHost.Poll(submission, 0, ReplicateFake.Pro), CancellationToken.None);

        Assert.Equal(2, ids.Distinct().Count());
        foreach (var id in ids)
        {
            var cancel = Assert.Single(_fake.Server.RequestsTo(ReplicateFake.CancelPath(id)));
            Assert.Equal(("POST", $"Bearer {ReplicateFake.ApiKey}"), (cancel.Method, cancel.Header("Authorization")));
        }

        var verdict = Assert.IsType<ProviderPollResult.Failure>(await host.Adapter.PollAsync(ReplicateTestHost.Poll(submission, 1, ReplicateFake.Pro), CancellationToken.None));
        Assert.Contains("canceled", verdict.Error.Message);
    }

    private static async Task<T> Eventually<T>(Func<T?> probe) where T : class
    {
        for (var i = 0; i < 200; i++)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The expected request did not arrive within 10 s.");
    }
}
