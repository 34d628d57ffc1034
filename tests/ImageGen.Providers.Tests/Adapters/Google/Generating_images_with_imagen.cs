using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Google;

public sealed class Generating_images_with_imagen : IAsyncLifetime
{
    private const string Imagen = "imagen-4.0-generate-001";
    private GoogleAdapterHost _google = null!;

    public async Task InitializeAsync() => _google = await GoogleAdapterHost.StartAsync();

    public async Task DisposeAsync() => await _google.DisposeAsync();

    private static async Task<byte[]> BytesOf(ProviderImage image)
    {
        await using var stream = await image.OpenReadAsync(CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task The_prompt_count_and_translated_aspect_ratio_go_to_the_predict_endpoint_with_the_key_in_its_header()
    {
        await _google.GenerateAsync(GoogleAdapterHost.Request("a lighthouse at dawn", count: 2, aspectRatio: "16:9", width: 1344, height: 768));

        var call = Assert.Single(_google.CallsTo(Imagen, "predict"));
        Assert.Equal("POST", call.Method);
        Assert.Equal(GoogleFake.ApiKey, call.Header("x-goog-api-key"));
        // Never as ?key=: request URLs are logged.
        Assert.Equal(string.Empty, call.Query);
        Assert.Null(call.Header("Authorization"));
        var body = call.Json();
        Assert.Equal("a lighthouse at dawn", Assert.Single(body.GetProperty("instances").EnumerateArray()).GetProperty("prompt").GetString());
        var parameters = body.GetProperty("parameters");
        Assert.Equal(2, parameters.GetProperty("sampleCount").GetInt32());
        Assert.Equal("16:9", parameters.GetProperty("aspectRatio").GetString());
        Assert.True(parameters.GetProperty("includeRaiReason").GetBoolean());
        Assert.False(parameters.TryGetProperty("personGeneration", out _));
        Assert.False(parameters.TryGetProperty("sampleImageSize", out _));
        Assert.False(parameters.TryGetProperty("outputOptions", out _));
    }

    [Fact]
    public async Task Every_image_is_decoded_at_the_size_google_renders_for_the_ratio()
    {
        var result = await _google.GenerateAsync(GoogleAdapterHost.Request("a lighthouse at dawn", count: 2, aspectRatio: "16:9", estimatedCostUsd: 0.08m));

        Assert.Equal(Imagen, result.Model);
        Assert.Equal(2, result.Images.Count);
        Assert.All(result.Images, image => Assert.Equal(("image/png", 1408, 768), (image.ContentType, image.Width, image.Height)));
        using var decoded = ImageAssert.Decode(await BytesOf(result.Images[0]));
        Assert.Equal((1408, 768), (decoded.Width, decoded.Height));
        Assert.Equal(0.08m, result.CostUsd);
        Assert.All(result.Images, image => Assert.Null(image.Attribution));
    }

    [Fact]
    public async Task Jpeg_output_is_asked_for_through_output_options()
    {
        var result = await _google.GenerateAsync(GoogleAdapterHost.Request("a lighthouse", aspectRatio: "3:4", format: ImageOutputFormat.Jpeg));

        var parameters = Assert.Single(_google.CallsTo(Imagen, "predict")).Json().GetProperty("parameters");
        Assert.Equal("image/jpeg", parameters.GetProperty("outputOptions").GetProperty("mimeType").GetString());
        Assert.Equal(("image/jpeg", 896, 1280), (result.Images[0].ContentType, result.Images[0].Width, result.Images[0].Height));
    }

    [Fact]
    public async Task Without_a_translated_ratio_the_nearest_one_is_derived_from_the_size()
    {
        await _google.GenerateAsync(GoogleAdapterHost.Request("a tall tower", aspectRatio: null, width: 1024, height: 1536));

        Assert.Equal("3:4", Assert.Single(_google.CallsTo(Imagen, "predict")).Json().GetProperty("parameters").GetProperty("aspectRatio").GetString());
    }

    [Fact]
    public async Task Person_generation_and_image_size_come_from_the_providers_options()
    {
        await using var google = await GoogleAdapterHost.StartAsync(new()
        {
            ["Providers:google:Options:PersonGeneration"] = "allow_adult",
            ["Providers:google:Options:ImageSize"] = "2K",
        });

        var result = await google.GenerateAsync(GoogleAdapterHost.Request("a portrait of a sailor"));

        var parameters = Assert.Single(google.CallsTo(Imagen, "predict")).Json().GetProperty("parameters");
        Assert.Equal("allow_adult", parameters.GetProperty("personGeneration").GetString());
        Assert.Equal("2K", parameters.GetProperty("sampleImageSize").GetString());
        Assert.Equal((2048, 2048), (result.Images[0].Width, result.Images[0].Height));
    }

    [Fact]
    public async Task Imagen_fast_is_never_sent_an_image_size_because_it_renders_one_size_only()
    {
        await using var google = await GoogleAdapterHost.StartAsync(new() { ["Providers:google:Options:ImageSize"] = "2K" });

        var result = await google.GenerateAsync(GoogleAdapterHost.Request("a sailor", model: "imagen-4.0-fast-generate-001"));

        var parameters = Assert.Single(google.CallsTo("imagen-4.0-fast-generate-001", "predict")).Json().GetProperty("parameters");
        Assert.False(parameters.TryGetProperty("sampleImageSize", out _));
        Assert.Equal((1024, 1024), (result.Images[0].Width, result.Images[0].Height));
    }

    [Fact]
    public async Task Filtered_images_are_left_out_and_the_rest_returned_charged_only_for_what_came_back_with_a_warning_for_the_job()
    {
        var request = GoogleAdapterHost.Request("filter-some harbour scene", count: 3, estimatedCostUsd: 0.12m);

        var result = await _google.GenerateAsync(request);

        Assert.Equal(2, result.Images.Count);
        Assert.Equal(0.08m, result.CostUsd);
        var warning = Assert.Single(_google.Logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("2 of 3", warning.Message);
        Assert.Contains("safety filter", warning.Message);
        Assert.Contains(request.JobId.ToString(), warning.Message);
        var shown = Assert.Single(result.Warnings);
        Assert.Contains("2 of 3", shown);
        Assert.Contains("safety filter", shown);
    }

    [Fact]
    public async Task When_every_image_is_filtered_the_job_fails_on_content_policy_with_googles_reason()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("filter-all harbour scene", count: 2)));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Contains("You will not be charged for blocked images", error.Message);
        Assert.Equal(0m, error.CostUsd);
    }

    [Fact]
    public async Task Imagen_is_not_asked_to_edit_images()
    {
        var request = GoogleAdapterHost.Request("make it blue", inputImages: ["data:image/png;base64," + Convert.ToBase64String(TestImages.Png(8, 8))]);

        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(request));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("gemini-2.5-flash-image", error.Message);
        Assert.Empty(_google.Server.Requests);
    }

    [Fact]
    public async Task A_model_google_does_not_have_is_an_invalid_request_with_googles_message()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("a fox", model: "imagen-9.0-generate-001")));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 404 NOT_FOUND", error.Message);
        Assert.Contains("models/imagen-9.0-generate-001 is not found", error.Message);
    }

    [Fact]
    public async Task A_model_of_neither_family_is_refused_without_calling_google()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("a fox", model: "veo-3.0")));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_google.Server.Requests);
    }

    [Fact]
    public async Task A_ratio_imagen_does_not_make_is_refused_by_google_as_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("a fox", aspectRatio: "21:9")));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("Unsupported aspect ratio: 21:9", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public async Task A_count_outside_one_to_four_is_refused_without_calling_google(int count)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _google.GenerateAsync(GoogleAdapterHost.Request("a fox", count: count)));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_google.Server.Requests);
    }

    [Fact]
    public void The_default_model_and_base_url_are_googles()
    {
        Assert.Equal("gemini-2.5-flash-image", ImageGen.Providers.Adapters.Google.GoogleAdapter.DefaultModel);
        Assert.Equal(new Uri("https://generativelanguage.googleapis.com/v1beta/"), ImageGen.Providers.Adapters.Google.GoogleAdapter.DefaultBaseUrl);
        Assert.True(_google.Adapter.RequiresCredential);
    }
}
