using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.HuggingFace;

public sealed class Generating_images_with_hugging_face(HuggingFaceFixture fixture) : IClassFixture<HuggingFaceFixture>
{
    private IImageProviderAdapter Adapter => fixture.Adapter;

    [Fact]
    public async Task The_hub_id_is_the_path_and_the_body_carries_the_prompt_size_seed_and_negative_prompt()
    {
        const string prompt = "a red fox in snow, sdxl";

        await Adapter.GenerateAsync(
            HuggingFaceFixture.Request(prompt, model: "stabilityai/stable-diffusion-xl-base-1.0", width: 768, height: 1344, seed: 7, negativePrompt: "blurry"),
            CancellationToken.None);

        var call = Assert.Single(fixture.CallsWithPrompt(prompt));
        Assert.Equal(("POST", "/hf-inference/models/stabilityai/stable-diffusion-xl-base-1.0"), (call.Method, call.Path));
        Assert.Equal($"Bearer {HuggingFaceFake.Token}", call.Header("Authorization"));
        Assert.Equal(("true", "false"), (call.Header("x-wait-for-model"), call.Header("x-use-cache")));
        Assert.Equal("image/png", call.Header("Accept"));
        Assert.StartsWith("application/json", call.Header("Content-Type"), StringComparison.Ordinal);
        var parameters = call.Json().GetProperty("parameters");
        Assert.Equal(
            (768, 1344, 7L, "blurry"),
            (parameters.GetProperty("width").GetInt32(), parameters.GetProperty("height").GetInt32(), parameters.GetProperty("seed").GetInt64(),
                parameters.GetProperty("negative_prompt").GetString()));
    }

    [Fact]
    public async Task Without_a_model_flux_schnell_is_used_and_no_negative_prompt_is_sent_when_there_is_none()
    {
        const string prompt = "a red fox in snow, default model";

        var result = await Adapter.GenerateAsync(HuggingFaceFixture.Request(prompt, model: ""), CancellationToken.None);

        var call = Assert.Single(fixture.CallsWithPrompt(prompt));
        Assert.Equal("/hf-inference/models/black-forest-labs/FLUX.1-schnell", call.Path);
        Assert.False(call.Json().GetProperty("parameters").TryGetProperty("negative_prompt", out _));
        Assert.Equal("black-forest-labs/FLUX.1-schnell", result.Model);
    }

    [Theory]
    [InlineData(ImageOutputFormat.Png, "image/png", 512, 768)]
    [InlineData(ImageOutputFormat.Jpeg, "image/jpeg", 1024, 576)]
    [InlineData(ImageOutputFormat.Webp, "image/webp", 256, 256)]
    public async Task The_raw_bytes_come_back_as_an_image_of_the_asked_size_in_the_format_the_accept_header_asked_for(
        ImageOutputFormat format, string contentType, int width, int height)
    {
        var prompt = $"a red fox in snow, {format} {width}x{height}";

        var result = await Adapter.GenerateAsync(HuggingFaceFixture.Request(prompt, width: width, height: height, format: format), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal((contentType, width, height), (image.ContentType, image.Width, image.Height));
        await using var content = await image.OpenReadAsync(CancellationToken.None);
        using var bytes = new MemoryStream();
        await content.CopyToAsync(bytes);
        Assert.True(ImageInspector.TryInspect(bytes.ToArray(), out var decoded));
        Assert.Equal((contentType, width, height), (decoded.ContentType, decoded.Width, decoded.Height));
        Assert.Equal(contentType, Assert.Single(fixture.CallsWithPrompt(prompt)).Header("Accept"));
    }

    [Fact]
    public async Task Several_images_are_several_calls_each_with_the_next_seed()
    {
        const string prompt = "a red fox in snow, two of them";

        var result = await Adapter.GenerateAsync(HuggingFaceFixture.Request(prompt, count: 2, seed: 100, width: 256, height: 256), CancellationToken.None);

        Assert.Equal(2, result.Images.Count);
        var seeds = fixture.CallsWithPrompt(prompt).Select(c => c.Json().GetProperty("parameters").GetProperty("seed").GetInt64()).Order();
        Assert.Equal([100L, 101L], seeds);
    }

    [Fact]
    public async Task Provider_native_parameters_are_sent_as_json_numbers_and_cannot_override_the_request_fields()
    {
        const string prompt = "a red fox in snow, native parameters";
        var parameters = new Dictionary<string, string>
        {
            ["num_inference_steps"] = "4", ["guidance_scale"] = "0.5", ["scheduler"] = "EulerAncestralDiscreteScheduler", ["width"] = "64",
        };

        await Adapter.GenerateAsync(HuggingFaceFixture.Request(prompt, width: 512, parameters: parameters), CancellationToken.None);

        var sent = Assert.Single(fixture.CallsWithPrompt(prompt)).Json().GetProperty("parameters");
        Assert.Equal((JsonValueKind.Number, 4), (sent.GetProperty("num_inference_steps").ValueKind, sent.GetProperty("num_inference_steps").GetInt32()));
        Assert.Equal(0.5, sent.GetProperty("guidance_scale").GetDouble());
        Assert.Equal("EulerAncestralDiscreteScheduler", sent.GetProperty("scheduler").GetString());
        Assert.Equal(512, sent.GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Waiting_for_a_cold_model_can_be_turned_off_in_configuration()
    {
        const string prompt = "a red fox in snow, no waiting";
        var adapter = fixture.CreateAdapter(new() { ["Providers:huggingface:Options:WaitForModel"] = "false" });

        await adapter.GenerateAsync(HuggingFaceFixture.Request(prompt, width: 256, height: 256), CancellationToken.None);

        Assert.Equal("false", Assert.Single(fixture.CallsWithPrompt(prompt)).Header("x-wait-for-model"));
    }

    [Theory]
    [InlineData("../../admin")]
    [InlineData("owner/name/extra")]
    [InlineData("owner/name?x=1")]
    [InlineData("owner/%2e%2e")]
    public async Task A_model_id_that_is_not_a_hub_repository_id_is_refused_without_calling_hugging_face(string model)
    {
        var prompt = $"a red fox in snow, model {model}";

        var error = await Assert.ThrowsAsync<ProviderException>(
            () => Adapter.GenerateAsync(HuggingFaceFixture.Request(prompt, model: model), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Empty(fixture.CallsWithPrompt(prompt));
    }

    [Fact]
    public async Task Without_a_token_nothing_is_sent_and_the_failure_is_authentication()
    {
        const string prompt = "a red fox in snow, no token";

        var error = await Assert.ThrowsAsync<ProviderException>(
            () => Adapter.GenerateAsync(HuggingFaceFixture.Request(prompt, key: null), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Empty(fixture.CallsWithPrompt(prompt));
    }
}
