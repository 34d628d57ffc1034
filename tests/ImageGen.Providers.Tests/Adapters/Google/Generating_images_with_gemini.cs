using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Adapters.Google;

public sealed class Generating_images_with_gemini : IAsyncLifetime
{
    private const string Gemini = "gemini-2.5-flash-image";
    private GoogleAdapterHost _google = null!;

    public async Task InitializeAsync() => _google = await GoogleAdapterHost.StartAsync();

    public async Task DisposeAsync() => await _google.DisposeAsync();

    private static ProviderRequest Request(string prompt, int count = 1, string? aspectRatio = "1:1", IReadOnlyList<string>? inputImages = null, decimal? estimatedCostUsd = null) =>
        GoogleAdapterHost.Request(prompt, Gemini, count, aspectRatio, inputImages: inputImages, estimatedCostUsd: estimatedCostUsd);

    private IReadOnlyList<ReceivedRequest> Calls => _google.CallsTo(Gemini, "generateContent");

    [Fact]
    public async Task The_prompt_goes_to_generate_content_asking_for_text_and_image_in_the_translated_ratio()
    {
        await _google.GenerateAsync(Request("a robot watering plants", aspectRatio: "2:3"));

        var call = Assert.Single(Calls);
        Assert.Equal(GoogleFake.ApiKey, call.Header("x-goog-api-key"));
        Assert.Equal(string.Empty, call.Query);
        var body = call.Json();
        var part = Assert.Single(Assert.Single(body.GetProperty("contents").EnumerateArray()).GetProperty("parts").EnumerateArray());
        Assert.Equal("a robot watering plants", part.GetProperty("text").GetString());
        var config = body.GetProperty("generationConfig");
        Assert.Equal(["TEXT", "IMAGE"], config.GetProperty("responseModalities").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("2:3", config.GetProperty("imageConfig").GetProperty("aspectRatio").GetString());
    }

    [Fact]
    public async Task The_image_part_is_decoded_at_the_size_gemini_renders_and_the_model_version_reported()
    {
        var result = await _google.GenerateAsync(Request("a robot watering plants", aspectRatio: "21:9", estimatedCostUsd: 0.039m));

        var image = Assert.Single(result.Images);
        Assert.Equal(("image/png", 1536, 672), (image.ContentType, image.Width, image.Height));
        await using var stream = await image.OpenReadAsync(CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        using var decoded = ImageAssert.Decode(copy.ToArray());
        Assert.Equal((1536, 672), (decoded.Width, decoded.Height));
        Assert.Equal(Gemini, result.Model);
        Assert.Equal(0.039m, result.CostUsd);
    }

    [Fact]
    public async Task Several_images_take_one_call_each()
    {
        var result = await _google.GenerateAsync(Request("three robots", count: 3, aspectRatio: "16:9"));

        Assert.Equal(3, Calls.Count);
        Assert.Equal(3, result.Images.Count);
        Assert.All(result.Images, i => Assert.Equal((1344, 768), (i.Width, i.Height)));
    }

    [Fact]
    public async Task Input_images_are_sent_as_inline_data_after_the_prompt()
    {
        var png = TestImages.Png(40, 30);
        var request = Request("put a hat on the cat", inputImages: ["data:image/png;base64," + Convert.ToBase64String(png), _google.Server.Url("inputs/photo.jpg").ToString()]);

        var result = await _google.GenerateAsync(request);

        Assert.Single(result.Images);
        var parts = Assert.Single(Calls).Json().GetProperty("contents")[0].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal(3, parts.Count);
        Assert.Equal("put a hat on the cat", parts[0].GetProperty("text").GetString());
        Assert.Equal("image/png", parts[1].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Equal(png, Convert.FromBase64String(parts[1].GetProperty("inlineData").GetProperty("data").GetString()!));
        Assert.Equal("image/jpeg", parts[2].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Single(_google.Server.RequestsTo("/inputs/photo.jpg"));
    }

    [Fact]
    public async Task Input_images_are_fetched_once_for_all_the_calls_of_a_job()
    {
        await _google.GenerateAsync(Request("two hats", count: 2, inputImages: [_google.Server.Url("inputs/photo.jpg").ToString()]));

        Assert.Equal(2, Calls.Count);
        Assert.Single(_google.Server.RequestsTo("/inputs/photo.jpg"));
    }

    [Theory]
    [InlineData("data:image/png;base64,aGVsbG8gd29ybGQ=", "not an image")]
    [InlineData("http://169.254.169.254/latest/meta-data/photo.png", "local address")]
    [InlineData("just some words", "neither")]
    public async Task An_input_image_that_cannot_be_used_is_an_invalid_request_and_google_is_not_called(string input, string reason)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(Request("edit this", inputImages: [input])));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("input image 1", error.Message);
        Assert.Contains(reason, error.Message);
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task A_gif_input_is_refused_because_gemini_reads_png_jpeg_and_webp()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(Request("edit this", inputImages: [_google.Server.Url("inputs/anim.gif").ToString()])));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("image/gif", error.Message);
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task A_blocked_prompt_answered_with_http_200_is_a_content_policy_failure_with_googles_reason()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(Request("blocked-prompt something", count: 3)));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Contains("blockReason PROHIBITED_CONTENT", error.Message);
        // The prompt itself is blocked: asking again for the other images would only be refused again.
        Assert.Single(Calls);
    }

    [Fact]
    public async Task An_image_withheld_for_safety_is_a_content_policy_failure_with_the_finish_reason()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(Request("unsafe-image something")));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Contains("finishReason IMAGE_SAFETY", error.Message);
    }

    [Fact]
    public async Task When_some_calls_are_refused_the_other_images_are_returned_and_the_shortfall_logged_and_shown_on_the_job()
    {
        var request = Request("unsafe-sometimes harbour", count: 2, estimatedCostUsd: 0.078m);

        var result = await _google.GenerateAsync(request);

        Assert.Single(result.Images);
        Assert.Equal(2, Calls.Count);
        Assert.Equal(0.039m, result.CostUsd);
        var warning = Assert.Single(_google.Logs.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains("1 of 2", warning.Message);
        Assert.Contains("IMAGE_SAFETY", warning.Message);
        Assert.Contains("1 of 2", Assert.Single(result.Warnings));
    }

    [Fact]
    public async Task An_answer_in_words_only_is_a_retryable_failure_that_keeps_what_the_model_said()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(Request("chatty request")));

        Assert.Equal((ErrorCodes.Internal, true), (error.Code, error.Retryable));
        Assert.Contains(GoogleFake.ChattyAnswer, error.Message);
        Assert.Contains("finishReason STOP", error.Message);
    }

    [Fact]
    public async Task A_rate_limit_after_the_first_image_keeps_the_image_already_paid_for()
    {
        var result = await _google.GenerateAsync(Request("rate-limit-after-first", count: 3));

        Assert.Single(result.Images);
        Assert.Equal(2, Calls.Count);
        var warning = Assert.Single(_google.Logs.Lines, l => l.Level == LogLevel.Warning);
        Assert.Contains(ErrorCodes.RateLimited, warning.Message);
        Assert.Contains("1 of 3", Assert.Single(result.Warnings));
    }

    [Fact]
    public async Task A_rate_limit_on_the_first_call_fails_the_job_as_rate_limited()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(Request("rate-limit", count: 2)));

        Assert.Equal(ErrorCodes.RateLimited, error.Code);
        Assert.Single(Calls);
    }
}
