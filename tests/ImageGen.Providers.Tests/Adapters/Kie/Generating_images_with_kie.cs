using System.Text.Json;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Kie;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Kie;

public sealed class Generating_images_with_kie : IAsyncLifetime
{
    private KieFake _fake = null!;
    private KieTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await KieFake.StartAsync();
        _host = KieTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task Submitting_creates_a_kontext_task_with_the_bearer_key_and_the_translated_parameters()
    {
        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(model: KieFake.Max, format: ImageOutputFormat.Jpeg), CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.False(string.IsNullOrEmpty(submission.TaskId));
        Assert.Equal(TimeSpan.FromMilliseconds(20), submission.NextPollIn);
        var call = Assert.Single(_fake.Server.RequestsTo(KieFake.GeneratePath));
        Assert.Equal(("POST", $"Bearer {KieFake.ApiKey}"), (call.Method, call.Header("Authorization")));
        var body = call.Json();
        Assert.Equal("a paper boat on a quiet canal", body.GetProperty("prompt").GetString());
        Assert.Equal(KieFake.Max, body.GetProperty("model").GetString());
        Assert.Equal("3:4", body.GetProperty("aspectRatio").GetString());
        Assert.Equal("jpeg", body.GetProperty("outputFormat").GetString());
        Assert.Equal(JsonValueKind.False, body.GetProperty("enableTranslation").ValueKind);
        Assert.Equal(JsonValueKind.False, body.GetProperty("promptUpsampling").ValueKind);
        Assert.Equal(2, body.GetProperty("safetyTolerance").GetInt32());
        Assert.False(body.TryGetProperty("inputImage", out _));
        Assert.False(body.TryGetProperty("callBackUrl", out _));
        Assert.Empty(_fake.Server.RequestsTo(KieFake.RecordInfoPath));
    }

    [Fact]
    public async Task Polls_report_the_task_generating_and_then_deliver_its_image_at_the_ratios_size()
    {
        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(), CancellationToken.None);

        var first = await _host.Adapter.PollAsync(KieTestHost.Poll(submission, 0), CancellationToken.None);
        var second = await _host.Adapter.PollAsync(KieTestHost.Poll(submission, 1), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(first);
        var done = Assert.IsType<ProviderPollResult.Done>(second);
        Assert.Equal(KieFake.Pro, done.Result.Model);
        var image = Assert.Single(done.Result.Images);
        Assert.Equal(("image/png", 880, 1184), (image.ContentType, image.Width, image.Height));
        using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
        Assert.Equal((880, 1184), (decoded.Width, decoded.Height));
        var poll = _fake.Server.RequestsTo(KieFake.RecordInfoPath)[0];
        Assert.Equal(("GET", $"?taskId={submission.TaskId}", $"Bearer {KieFake.ApiKey}"), (poll.Method, poll.Query, poll.Header("Authorization")));
    }

    [Fact]
    public async Task Several_images_are_one_task_each_and_all_are_delivered()
    {
        var result = await _host.Adapter.GenerateAsync(KieTestHost.Request(count: 3, aspectRatio: "16:9"), CancellationToken.None);

        Assert.Equal(3, _fake.Server.RequestsTo(KieFake.GeneratePath).Count);
        Assert.Equal(3, result.Images.Count);
        Assert.All(result.Images, i => Assert.Equal((1392, 752), (i.Width, i.Height)));
        Assert.Empty(result.Warnings);
        Assert.Null(result.CostUsd);
    }

    [Fact]
    public async Task A_task_that_failed_on_its_own_leaves_the_others_delivered_with_a_warning_and_charged_alone()
    {
        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(prompt: "three kites one-fails", count: 3), CancellationToken.None);

        var done = Assert.IsType<ProviderPollResult.Done>(await _host.PollUntilDoneAsync(submission, estimatedCostUsd: 0.075m));

        Assert.Equal(2, done.Result.Images.Count);
        Assert.Equal(0.05m, done.Result.CostUsd);
        var warning = Assert.Single(done.Result.Warnings);
        Assert.Contains("2 of the 3", warning);
        Assert.Contains("Generation failed", warning);
    }

    [Fact]
    public async Task Without_an_aspect_ratio_parameter_the_nearest_ratio_to_the_size_is_sent()
    {
        await _host.Adapter.SubmitAsync(KieTestHost.Request(width: 1920, height: 1080, aspectRatio: null), CancellationToken.None);

        Assert.Equal("16:9", _fake.Server.RequestsTo(KieFake.GeneratePath)[0].Json().GetProperty("aspectRatio").GetString());
    }

    [Fact]
    public async Task Polling_backs_off_from_the_short_interval_to_the_long_one()
    {
        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(prompt: "a lantern that never ends"), CancellationToken.None);

        var early = Assert.IsType<ProviderPollResult.StillRunning>(await _host.Adapter.PollAsync(KieTestHost.Poll(submission, 0), CancellationToken.None));
        var late = Assert.IsType<ProviderPollResult.StillRunning>(
            await _host.Adapter.PollAsync(KieTestHost.Poll(submission, KieAdapter.FastPolls), CancellationToken.None));

        Assert.Equal(TimeSpan.FromMilliseconds(20), early.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(40), late.NextPollIn);
    }

    [Fact]
    public async Task The_configured_prompt_options_and_safety_tolerance_are_sent()
    {
        using var host = KieTestHost.For(_fake, new()
        {
            ["Providers:kie:Options:SafetyTolerance"] = "5",
            ["Providers:kie:Options:PromptUpsampling"] = "true",
            ["Providers:kie:Options:EnableTranslation"] = "true",
        });

        await host.Adapter.GenerateAsync(KieTestHost.Request(), CancellationToken.None);

        var body = _fake.Server.RequestsTo(KieFake.GeneratePath)[0].Json();
        Assert.Equal(5, body.GetProperty("safetyTolerance").GetInt32());
        Assert.Equal(JsonValueKind.True, body.GetProperty("promptUpsampling").ValueKind);
        Assert.Equal(JsonValueKind.True, body.GetProperty("enableTranslation").ValueKind);
    }

    [Fact]
    public async Task A_webhook_address_becomes_the_callback_url_and_the_poll_a_safety_net()
    {
        var webhook = new Uri("https://images.example.test/v1/webhooks/kie");
        // Nobody listens there: the task must not complete (and try to call it) during the test.
        _fake.CallbackDelay = Timeout.InfiniteTimeSpan;

        var submission = await _host.Adapter.SubmitAsync(KieTestHost.Request(webhookUrl: webhook), CancellationToken.None);

        Assert.Equal(webhook.AbsoluteUri, _fake.Server.RequestsTo(KieFake.GeneratePath)[0].Json().GetProperty("callBackUrl").GetString());
        Assert.Equal(TimeSpan.FromMilliseconds(250), submission.NextPollIn);
    }

    [Fact]
    public async Task Without_a_webhook_key_no_callback_is_asked_for_since_it_could_not_be_verified()
    {
        using var host = KieTestHost.For(_fake, new() { ["Providers:kie:Options:WebhookHmacKey"] = null });

        var submission = await host.Adapter.SubmitAsync(KieTestHost.Request(webhookUrl: new Uri("https://images.example.test/v1/webhooks/kie")), CancellationToken.None);

        Assert.False(_fake.Server.RequestsTo(KieFake.GeneratePath)[0].Json().TryGetProperty("callBackUrl", out _));
        Assert.Equal(TimeSpan.FromMilliseconds(20), submission.NextPollIn);
    }
}
