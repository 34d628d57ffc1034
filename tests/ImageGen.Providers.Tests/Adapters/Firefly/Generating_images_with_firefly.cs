using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Firefly;

public sealed class Generating_images_with_firefly : IAsyncLifetime
{
    private FireflyFake _fake = null!;
    private FireflyTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await FireflyFake.StartAsync();
        _host = FireflyTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task Submitting_creates_an_async_job_with_size_seeds_and_model_header_and_returns_its_id_without_waiting()
    {
        var submission = await _host.Adapter.SubmitAsync(
            FireflyTestHost.Request(model: "image4_standard", width: 1792, height: 2304, count: 3, negativePrompt: "text, watermark",
                parameters: new() { ["size"] = "1792x2304", ["content_class"] = "art" }),
            CancellationToken.None);

        Assert.Null(submission.Result);
        Assert.StartsWith("urn:ff:jobs:", submission.TaskId);
        Assert.Equal(TimeSpan.FromMilliseconds(50), submission.NextPollIn);
        var call = Assert.Single(_fake.Server.RequestsTo(FireflyFake.SubmitPath));
        Assert.Equal("POST", call.Method);
        Assert.Equal(FireflyFake.ClientId, call.Header("x-api-key"));
        Assert.Equal(FireflyFake.ClientId, _fake.ClientOfToken(call.Header("Authorization")!["Bearer ".Length..]));
        Assert.Equal("image4_standard", call.Header("x-model-version"));
        var body = call.Json();
        Assert.Equal("a lighthouse on a cliff at dusk", body.GetProperty("prompt").GetString());
        Assert.Equal("text, watermark", body.GetProperty("negativePrompt").GetString());
        Assert.Equal(3, body.GetProperty("numVariations").GetInt32());
        Assert.Equal([1842533538L, 1842533539L, 1842533540L], body.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt64()));
        Assert.Equal((1792, 2304), (body.GetProperty("size").GetProperty("width").GetInt32(), body.GetProperty("size").GetProperty("height").GetInt32()));
        Assert.Equal("art", body.GetProperty("contentClass").GetString());
        Assert.False(body.TryGetProperty("promptBiasingLocaleCode", out _));
        Assert.DoesNotContain(_fake.Server.Requests, r => r.Method == "GET");
    }

    [Fact]
    public async Task Polls_report_the_job_running_and_then_deliver_its_jpegs_without_sending_adobe_credentials_to_the_storage_urls()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(width: 1152, height: 896, count: 2), CancellationToken.None);

        var first = await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None);
        var second = await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 1), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(first);
        var done = Assert.IsType<ProviderPollResult.Done>(second);
        Assert.Equal("image3", done.Result.Model);
        Assert.Empty(done.Result.Warnings);
        Assert.Equal(2, done.Result.Images.Count);
        foreach (var image in done.Result.Images)
        {
            Assert.Equal(("image/jpeg", 1152, 896), (image.ContentType, image.Width, image.Height));
            using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
            Assert.Equal((1152, 896), (decoded.Width, decoded.Height));
        }

        var poll = _fake.Server.RequestsTo(FireflyFake.StatusPath(submission.TaskId!))[0];
        Assert.Equal(("GET", FireflyFake.ClientId), (poll.Method, poll.Header("x-api-key")));
        Assert.StartsWith("Bearer ", poll.Header("Authorization"));
        var downloads = _fake.Server.Requests.Where(r => r.Path.StartsWith("/results/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, downloads.Count);
        Assert.All(downloads, d => Assert.True(d.Header("Authorization") is null && d.Header("x-api-key") is null));
        Assert.All(downloads, d => Assert.Contains("X-Amz-Signature=", d.Query));
    }

    [Fact]
    public async Task Generating_in_one_call_submits_and_polls_until_the_images_are_there()
    {
        var result = await _host.Adapter.GenerateAsync(FireflyTestHost.Request(prompt: "a harbour at noon slow", width: 1344, height: 768), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal((1344, 768), (image.Width, image.Height));
        Assert.Equal(4, _fake.Server.Requests.Count(r => r.Path.StartsWith("/v3/status/", StringComparison.Ordinal)));
        Assert.Equal(1, _fake.TokensIssued);
    }

    [Fact]
    public async Task An_image_made_from_a_prompt_firefly_partly_ignored_is_delivered_with_a_warning()
    {
        var result = await _host.Adapter.GenerateAsync(FireflyTestHost.Request(prompt: "a portrait denied-words"), CancellationToken.None);

        Assert.Single(result.Images);
        Assert.Contains(result.Warnings, w => w.Contains("left out words of the prompt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fewer_images_than_asked_for_are_delivered_with_a_warning()
    {
        var result = await _host.Adapter.GenerateAsync(FireflyTestHost.Request(prompt: "a meadow one-short", count: 3), CancellationToken.None);

        Assert.Equal(2, result.Images.Count);
        Assert.Contains("made 2 of the 3 images", Assert.Single(result.Warnings));
    }

    [Fact]
    public async Task Seeds_beyond_32_bits_are_folded_into_firefly_s_range_and_stay_distinct()
    {
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(count: 2, seed: 4_294_967_295), CancellationToken.None);

        var seeds = _fake.Server.RequestsTo(FireflyFake.SubmitPath)[0].Json().GetProperty("seeds").EnumerateArray().Select(s => s.GetInt64()).ToList();
        Assert.Equal([4_294_967_295L % 2_147_483_648L, 0L], seeds);
    }

    [Fact]
    public async Task The_content_class_and_locale_come_from_configuration_when_the_job_sets_none()
    {
        using var host = FireflyTestHost.For(_fake, new()
        {
            ["Providers:firefly:Options:ContentClass"] = "Photo",
            ["Providers:firefly:Options:PromptBiasingLocaleCode"] = "de-DE",
        });

        await host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);

        var body = _fake.Server.RequestsTo(FireflyFake.SubmitPath)[0].Json();
        Assert.Equal("photo", body.GetProperty("contentClass").GetString());
        Assert.Equal("de-DE", body.GetProperty("promptBiasingLocaleCode").GetString());
    }

    [Fact]
    public async Task A_content_class_firefly_does_not_know_is_refused_before_anything_is_sent()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(
            FireflyTestHost.Request(parameters: new() { ["content_class"] = "cartoon" }), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("photo or art", error.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task Polling_backs_off_from_the_short_interval_to_the_long_one()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: "a quiet bay never"), CancellationToken.None);

        var early = Assert.IsType<ProviderPollResult.StillRunning>(await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None));
        var late = Assert.IsType<ProviderPollResult.StillRunning>(await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 12), CancellationToken.None));

        Assert.Equal(TimeSpan.FromMilliseconds(50), early.NextPollIn);
        Assert.Equal(TimeSpan.FromMilliseconds(100), late.NextPollIn);
    }
}
