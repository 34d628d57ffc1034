using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Stability;

public sealed class Generating_images_with_stability(StabilityFixture fixture) : IClassFixture<StabilityFixture>
{
    private IImageProviderAdapter Adapter => fixture.Adapter;

    [Fact]
    public async Task Core_gets_a_multipart_form_with_the_translated_aspect_ratio_and_the_request_fields()
    {
        const string prompt = "a lighthouse at dusk, core form";

        await Adapter.GenerateAsync(
            StabilityFixture.Request(prompt, negativePrompt: "fog", seed: 1234, format: ImageOutputFormat.Webp, aspectRatio: "2:3"), CancellationToken.None);

        var (call, fields) = Assert.Single(await fixture.CallsWithPromptAsync(prompt));
        Assert.Equal(("POST", "/v2beta/stable-image/generate/core"), (call.Method, call.Path));
        Assert.Equal($"Bearer {StabilityFake.ApiKey}", call.Header("Authorization"));
        Assert.Equal("image/*", call.Header("Accept"));
        Assert.StartsWith("multipart/form-data; boundary=", call.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(
            [("prompt", prompt), ("negative_prompt", "fog"), ("seed", "1234"), ("output_format", "webp"), ("aspect_ratio", "2:3")],
            fields.Select(f => (f.Name, f.Value)));
        // Plain form fields, as curl -F sends them.
        Assert.All(fields, f => Assert.Null(f.ContentType));
    }

    [Fact]
    public async Task Ultra_goes_to_its_own_endpoint_without_a_model_field()
    {
        const string prompt = "a lighthouse at dusk, ultra";

        var result = await Adapter.GenerateAsync(StabilityFixture.Request(prompt, model: "ultra"), CancellationToken.None);

        var (call, fields) = Assert.Single(await fixture.CallsWithPromptAsync(prompt));
        Assert.Equal("/v2beta/stable-image/generate/ultra", call.Path);
        Assert.DoesNotContain(fields, f => f.Name == "model");
        Assert.Equal("ultra", result.Model);
    }

    [Theory]
    [InlineData("sd3.5-large")]
    [InlineData("sd3.5-large-turbo")]
    [InlineData("sd3.5-medium")]
    public async Task The_sd35_models_share_the_sd3_endpoint_and_name_themselves_in_the_model_field(string model)
    {
        var prompt = $"a lighthouse at dusk, {model}";

        var result = await Adapter.GenerateAsync(StabilityFixture.Request(prompt, model: model, format: ImageOutputFormat.Jpeg), CancellationToken.None);

        var (call, fields) = Assert.Single(await fixture.CallsWithPromptAsync(prompt));
        Assert.Equal("/v2beta/stable-image/generate/sd3", call.Path);
        Assert.Equal(model, Assert.Single(fields, f => f.Name == "model").Value);
        Assert.Equal("text-to-image", Assert.Single(fields, f => f.Name == "mode").Value);
        Assert.Equal(model, result.Model);
        Assert.Equal("image/jpeg", Assert.Single(result.Images).ContentType);
    }

    [Fact]
    public async Task Without_a_model_the_request_goes_to_core()
    {
        const string prompt = "a lighthouse at dusk, default model";

        var result = await Adapter.GenerateAsync(StabilityFixture.Request(prompt, model: ""), CancellationToken.None);

        Assert.Equal("/v2beta/stable-image/generate/core", Assert.Single(await fixture.CallsWithPromptAsync(prompt)).Request.Path);
        Assert.Equal("core", result.Model);
    }

    [Theory]
    [InlineData("2:3", ImageOutputFormat.Png, "image/png", 832, 1216)]
    [InlineData("16:9", ImageOutputFormat.Jpeg, "image/jpeg", 1344, 768)]
    [InlineData("1:1", ImageOutputFormat.Webp, "image/webp", 1024, 1024)]
    public async Task The_raw_bytes_come_back_as_an_image_of_the_aspect_ratio_in_the_asked_format(
        string aspectRatio, ImageOutputFormat format, string contentType, int width, int height)
    {
        var result = await Adapter.GenerateAsync(
            StabilityFixture.Request($"a lighthouse at dusk, {aspectRatio} {format}", format: format, aspectRatio: aspectRatio), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal((contentType, width, height), (image.ContentType, image.Width, image.Height));
        await using var content = await image.OpenReadAsync(CancellationToken.None);
        using var bytes = new MemoryStream();
        await content.CopyToAsync(bytes);
        Assert.True(ImageInspector.TryInspect(bytes.ToArray(), out var decoded));
        Assert.Equal((contentType, width, height), (decoded.ContentType, decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task Several_images_are_several_calls_each_with_the_next_seed()
    {
        const string prompt = "a lighthouse at dusk, three of them";

        var result = await Adapter.GenerateAsync(StabilityFixture.Request(prompt, count: 3, seed: 500), CancellationToken.None);

        Assert.Equal(3, result.Images.Count);
        var seeds = (await fixture.CallsWithPromptAsync(prompt)).Select(c => Assert.Single(c.Fields, f => f.Name == "seed").Value).Order();
        Assert.Equal(["500", "501", "502"], seeds);
    }

    [Fact]
    public async Task Seeds_wrap_past_the_largest_to_one_because_zero_would_mean_random()
    {
        const string prompt = "a lighthouse at dusk, wrapping seeds";

        await Adapter.GenerateAsync(StabilityFixture.Request(prompt, count: 2, seed: 4_294_967_294), CancellationToken.None);

        var seeds = (await fixture.CallsWithPromptAsync(prompt)).Select(c => Assert.Single(c.Fields, f => f.Name == "seed").Value).Order();
        Assert.Equal(["1", "4294967294"], seeds);
    }

    [Fact]
    public async Task Only_the_provider_native_parameters_that_are_not_fields_of_the_request_are_passed_through()
    {
        const string prompt = "a lighthouse at dusk, style preset";
        var request = StabilityFixture.Request(prompt) with
        {
            Parameters = new Dictionary<string, string> { ["aspect_ratio"] = "3:2", ["style_preset"] = "cinematic", ["seed"] = "999" },
        };

        await Adapter.GenerateAsync(request, CancellationToken.None);

        var (_, fields) = Assert.Single(await fixture.CallsWithPromptAsync(prompt));
        Assert.Equal("3:2", Assert.Single(fields, f => f.Name == "aspect_ratio").Value);
        Assert.Equal("cinematic", Assert.Single(fields, f => f.Name == "style_preset").Value);
        Assert.Equal("42", Assert.Single(fields, f => f.Name == "seed").Value);
    }

    [Fact]
    public async Task An_unknown_model_is_refused_without_calling_stability()
    {
        const string prompt = "a lighthouse at dusk, unknown model";

        var error = await Assert.ThrowsAsync<ProviderException>(
            () => Adapter.GenerateAsync(StabilityFixture.Request(prompt, model: "sdxl-1.0"), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("sd3.5-large", error.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.CallsWithPromptAsync(prompt));
    }

    [Fact]
    public async Task Webp_from_an_sd35_model_is_refused_without_calling_stability()
    {
        const string prompt = "a lighthouse at dusk, sd3 webp";

        var error = await Assert.ThrowsAsync<ProviderException>(
            () => Adapter.GenerateAsync(StabilityFixture.Request(prompt, model: "sd3.5-medium", format: ImageOutputFormat.Webp), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(await fixture.CallsWithPromptAsync(prompt));
    }

    [Fact]
    public async Task Without_a_key_nothing_is_sent_and_the_failure_is_authentication()
    {
        const string prompt = "a lighthouse at dusk, no key";

        var error = await Assert.ThrowsAsync<ProviderException>(
            () => Adapter.GenerateAsync(StabilityFixture.Request(prompt, key: null), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Empty(await fixture.CallsWithPromptAsync(prompt));
    }
}
