using System.Text.Json;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Leonardo;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Adapters.Leonardo;

public sealed class Generating_images_with_leonardo : IAsyncLifetime
{
    private LeonardoFake _fake = null!;
    private LeonardoTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await LeonardoFake.StartAsync();
        _host = LeonardoTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task Submitting_a_phoenix_generation_sends_its_uuid_size_count_seed_and_contrast_privately_and_returns_the_generation_id()
    {
        var submission = await _host.Adapter.SubmitAsync(
            LeonardoTestHost.Request(count: 2, negativePrompt: "blurry"), CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.False(string.IsNullOrEmpty(submission.TaskId));
        Assert.Equal(TimeSpan.FromMilliseconds(50), submission.NextPollIn);
        var call = Assert.Single(_fake.Server.RequestsTo(LeonardoFake.GenerationsPath));
        Assert.Equal("POST", call.Method);
        Assert.Equal($"Bearer {LeonardoFake.ApiKey}", call.Header("Authorization"));
        var body = call.Json();
        Assert.Equal("an orange cat on a blue basketball", body.GetProperty("prompt").GetString());
        Assert.Equal(LeonardoFake.Phoenix10, body.GetProperty("modelId").GetString());
        Assert.Equal((1024, 768, 2), (body.GetProperty("width").GetInt32(), body.GetProperty("height").GetInt32(), body.GetProperty("num_images").GetInt32()));
        Assert.Equal(905_778_432L, body.GetProperty("seed").GetInt64());
        Assert.Equal(3.5, body.GetProperty("contrast").GetDouble());
        Assert.Equal(JsonValueKind.False, body.GetProperty("public").ValueKind);
        // Phoenix takes no negative prompt.
        Assert.False(body.TryGetProperty("negative_prompt", out _));
        Assert.DoesNotContain(_fake.Server.Requests, r => r.Method == "GET");
    }

    [Fact]
    public async Task An_sdxl_model_is_sent_the_negative_prompt_and_no_contrast()
    {
        await _host.Adapter.SubmitAsync(LeonardoTestHost.Request(model: LeonardoAdapter.KinoXl, negativePrompt: "blurry, text"), CancellationToken.None);

        var body = _fake.Server.RequestsTo(LeonardoFake.GenerationsPath)[0].Json();
        Assert.Equal(LeonardoFake.KinoXl, body.GetProperty("modelId").GetString());
        Assert.Equal("blurry, text", body.GetProperty("negative_prompt").GetString());
        Assert.False(body.TryGetProperty("contrast", out _));
    }

    [Fact]
    public async Task The_jobs_contrast_and_alchemy_parameters_and_a_fine_tuned_models_uuid_are_sent_as_given()
    {
        await _host.Adapter.SubmitAsync(
            LeonardoTestHost.Request(model: LeonardoFake.Phoenix09, parameters: new() { ["contrast"] = "4", ["alchemy"] = "true" }), CancellationToken.None);
        await _host.Adapter.SubmitAsync(LeonardoTestHost.Request(model: LeonardoFake.CustomModel), CancellationToken.None);

        var bodies = _fake.Server.RequestsTo(LeonardoFake.GenerationsPath).Select(r => r.Json()).ToList();
        Assert.Equal(4, bodies[0].GetProperty("contrast").GetDouble());
        Assert.Equal(JsonValueKind.True, bodies[0].GetProperty("alchemy").ValueKind);
        Assert.Equal(LeonardoFake.CustomModel, bodies[1].GetProperty("modelId").GetString());
    }

    [Fact]
    public async Task Polls_report_the_generation_pending_and_then_deliver_its_images_at_the_asked_size()
    {
        var submission = await _host.Adapter.SubmitAsync(LeonardoTestHost.Request(prompt: "a koi pond two-polls", count: 2), CancellationToken.None);

        var first = await _host.Adapter.PollAsync(LeonardoTestHost.Poll(submission, 0), CancellationToken.None);
        var second = await _host.Adapter.PollAsync(LeonardoTestHost.Poll(submission, 1), CancellationToken.None);

        Assert.Equal(TimeSpan.FromMilliseconds(50), Assert.IsType<ProviderPollResult.StillRunning>(first).NextPollIn);
        var done = Assert.IsType<ProviderPollResult.Done>(second);
        Assert.Equal(LeonardoAdapter.Phoenix10, done.Result.Model);
        Assert.Equal(2, done.Result.Images.Count);
        foreach (var image in done.Result.Images)
        {
            Assert.Equal(("image/jpeg", 1024, 768), (image.ContentType, image.Width, image.Height));
            using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
            Assert.Equal((1024, 768), (decoded.Width, decoded.Height));
        }

        Assert.Empty(done.Result.Warnings);
        var poll = _fake.Server.RequestsTo(LeonardoFake.GenerationPath(submission.TaskId!))[0];
        Assert.Equal(("GET", $"Bearer {LeonardoFake.ApiKey}"), (poll.Method, poll.Header("Authorization")));
    }

    [Fact]
    public async Task Generating_in_one_call_submits_and_polls_until_the_images_are_there()
    {
        var result = await _host.Adapter.GenerateAsync(
            LeonardoTestHost.Request(prompt: "a paper lantern two-polls", model: LeonardoAdapter.LightningXl, width: 832, height: 1216, count: 3), CancellationToken.None);

        Assert.Equal(3, result.Images.Count);
        Assert.All(result.Images, i => Assert.Equal((832, 1216), (i.Width, i.Height)));
        Assert.Equal(2, _fake.Server.Requests.Count(r => r.Method == "GET" && r.Path.StartsWith(LeonardoFake.GenerationsPath, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Images_leonardo_flags_as_nsfw_are_dropped_with_a_warning_unless_allowed()
    {
        using var allowing = LeonardoTestHost.For(_fake, new() { [LeonardoAdapter.AllowNsfwOption] = "true" });

        var filtered = await _host.Adapter.GenerateAsync(LeonardoTestHost.Request(prompt: "a beach flag-one", count: 3), CancellationToken.None);
        var unfiltered = await allowing.Adapter.GenerateAsync(LeonardoTestHost.Request(prompt: "a beach flag-one", count: 3), CancellationToken.None);

        Assert.Equal(2, filtered.Images.Count);
        Assert.Contains(filtered.Warnings, w => w.Contains("flagged 1 of the 3", StringComparison.Ordinal));
        Assert.Equal(3, unfiltered.Images.Count);
        Assert.Empty(unfiltered.Warnings);
    }

    [Fact]
    public async Task The_quoted_credit_cost_is_reported_in_dollars_when_the_price_of_a_credit_is_configured()
    {
        using var pricing = LeonardoTestHost.For(_fake, new() { [LeonardoAdapter.UsdPerCreditOption] = "0.0015" });

        var priced = await pricing.Adapter.GenerateAsync(LeonardoTestHost.Request(), CancellationToken.None);
        var unpriced = await _host.Adapter.GenerateAsync(LeonardoTestHost.Request(), CancellationToken.None);

        Assert.Equal(LeonardoFake.CreditCost * 0.0015m, priced.CostUsd);
        Assert.Null(unpriced.CostUsd);
    }

    [Fact]
    public async Task On_the_workers_own_key_with_a_webhook_key_configured_polls_are_only_a_safety_net_and_nothing_extra_is_sent()
    {
        using var host = LeonardoTestHost.For(_fake, new() { [LeonardoAdapter.WebhookSecretOption] = LeonardoFake.WebhookKey });
        var hook = new Uri("https://images.example.com/v1/webhooks/leonardo");

        var own = await host.Adapter.SubmitAsync(LeonardoTestHost.Request(prompt: "a tundra never", webhookUrl: hook), CancellationToken.None);
        var callers = await host.Adapter.SubmitAsync(
            LeonardoTestHost.Request(prompt: "a tundra never", webhookUrl: hook, key: LeonardoFake.OtherAccountKey), CancellationToken.None);
        var unconfigured = await _host.Adapter.SubmitAsync(LeonardoTestHost.Request(prompt: "a tundra never", webhookUrl: hook), CancellationToken.None);

        Assert.Equal(LeonardoAdapter.DefaultWebhookPollInterval, own.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(50), callers.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(50), unconfigured.NextPollIn);
        Assert.DoesNotContain(_fake.Server.RequestsTo(LeonardoFake.GenerationsPath), r => r.BodyText.Contains("images.example.com", StringComparison.Ordinal));
        var stillRunning = Assert.IsType<ProviderPollResult.StillRunning>(await host.Adapter.PollAsync(LeonardoTestHost.Poll(own, 0), CancellationToken.None));
        Assert.Equal(LeonardoAdapter.DefaultWebhookPollInterval, stillRunning.NextPollIn);
    }

    [Fact]
    public async Task The_fake_calls_the_keys_webhook_when_a_generation_ends_and_the_adapter_accepts_it()
    {
        await using var receiver = await FakeProviderServer.StartAsync(app => app.MapPost("/v1/webhooks/leonardo", () => Results.Ok()));
        await using var fake = await LeonardoFake.StartAsync(receiver.Url("v1/webhooks/leonardo"));
        using var host = LeonardoTestHost.For(fake, new() { [LeonardoAdapter.WebhookSecretOption] = LeonardoFake.WebhookKey });

        var submission = await host.Adapter.SubmitAsync(LeonardoTestHost.Request(prompt: "a windmill"), CancellationToken.None);
        var delivered = await Eventually(() => receiver.RequestsTo("/v1/webhooks/leonardo").FirstOrDefault());
        var notification = await host.Adapter.ReadWebhookAsync(
            new ProviderWebhookRequest(delivered.Headers, delivered.Body, DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Equal(new ProviderWebhookNotification(submission.TaskId!, Finished: true), notification);
        Assert.Equal($"Bearer {LeonardoFake.WebhookKey}", delivered.Header("Authorization"));
        Assert.Equal("image_generation.complete", delivered.Json().GetProperty("type").GetString());
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
