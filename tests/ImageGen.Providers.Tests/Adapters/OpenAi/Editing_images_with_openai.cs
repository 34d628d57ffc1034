using System.Text;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Adapters.OpenAi;

public sealed class Editing_images_with_openai : IAsyncLifetime
{
    private static readonly byte[] Sketch = TestImages.Png(200, 100);
    private static readonly byte[] Photo = TestImages.Jpeg(320, 240);

    private OpenAiFake _fake = null!;

    public async Task InitializeAsync() => _fake = await OpenAiFake.StartAsync(app =>
        app.MapGet("/inputs/photo.jpg", () => Results.Bytes(Photo, "image/jpeg")));

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static string DataUri(byte[] bytes, string type = "image/png") => $"data:{type};base64,{Convert.ToBase64String(bytes)}";

    private string PhotoUrl => _fake.Server.Url("inputs/photo.jpg").ToString();

    [Fact]
    public async Task Input_images_go_to_the_edits_endpoint_as_repeated_image_parts_with_the_generate_fields()
    {
        using var host = OpenAiTestHost.For(_fake);

        await host.Adapter.GenerateAsync(OpenAiTestHost.Request(
            prompt: "put the sketch on the photo", size: "1024x1536", format: ImageOutputFormat.Jpeg, inputImages: [DataUri(Sketch), PhotoUrl]), CancellationToken.None);

        var call = Assert.Single(_fake.Server.RequestsTo("/v1/images/edits"));
        Assert.Equal($"Bearer {OpenAiFake.Key}", call.Header("Authorization"));
        Assert.StartsWith("multipart/form-data", call.Header("Content-Type"));
        Assert.Empty(_fake.Server.RequestsTo("/v1/images/generations"));

        var edit = Assert.Single(_fake.Edits);
        Assert.Equal("gpt-image-1", edit.Fields["model"]);
        Assert.Equal("put the sketch on the photo", edit.Fields["prompt"]);
        Assert.Equal("1", edit.Fields["n"]);
        Assert.Equal("1024x1536", edit.Fields["size"]);
        Assert.Equal("medium", edit.Fields["quality"]);
        Assert.Equal("jpeg", edit.Fields["output_format"]);
        Assert.Collection(edit.Files,
            sketch =>
            {
                Assert.Equal(("image[]", "image/png"), (sketch.Name, sketch.ContentType));
                Assert.Equal(Sketch, sketch.Bytes);
            },
            photo =>
            {
                Assert.Equal(("image[]", "image/jpeg"), (photo.Name, photo.ContentType));
                Assert.Equal(Photo, photo.Bytes);
            });
    }

    [Fact]
    public async Task The_edited_image_comes_back_decoded_and_its_input_image_tokens_are_priced()
    {
        using var host = OpenAiTestHost.For(_fake);
        var request = OpenAiTestHost.Request(prompt: "make it night", size: "1024x1536", inputImages: [DataUri(Sketch), PhotoUrl]);

        var result = await host.Adapter.GenerateAsync(request, CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal(("image/png", 1024, 1536), (image.ContentType, image.Width, image.Height));
        using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
        Assert.Equal((1024, 1536), (decoded.Width, decoded.Height));
        // $5 per 1M text tokens, $10 per 1M image tokens in, $40 per 1M out.
        var expected = (OpenAiFake.TextTokens("make it night") * 5m + 2 * OpenAiFake.ImageTokensPerInput * 10m
                        + OpenAiFake.OutputTokensPerImage("medium", "1024x1536") * 40m) / 1_000_000m;
        Assert.Equal(Math.Round(expected, 6), result.CostUsd);
    }

    [Fact]
    public async Task An_input_that_is_not_an_image_is_an_invalid_request_and_nothing_is_sent()
    {
        using var host = OpenAiTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(inputImages: [DataUri(Encoding.UTF8.GetBytes("<html>not an image</html>"))]), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("Input image 1", error.Message);
        Assert.Empty(_fake.Server.RequestsTo("/v1/images/edits"));
    }

    [Fact]
    public async Task A_gif_is_refused_because_openai_edits_only_png_jpeg_and_webp()
    {
        using var host = OpenAiTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(inputImages: [DataUri(Sketch), DataUri(TestImages.Gif, "image/gif")]), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("Input image 2 is image/gif", error.Message);
        Assert.Empty(_fake.Edits);
    }

    [Fact]
    public async Task An_input_url_on_a_local_address_is_refused_rather_than_fetched()
    {
        using var host = OpenAiTestHost.For(_fake, allowedHosts: []);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(inputImages: [PhotoUrl]), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Empty(_fake.Server.RequestsTo("/inputs/photo.jpg"));
        Assert.Empty(_fake.Edits);
    }

    [Fact]
    public async Task More_than_sixteen_input_images_are_refused_before_anything_is_sent()
    {
        using var host = OpenAiTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(inputImages: Enumerable.Repeat(DataUri(Sketch), 17).ToList()), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("16", error.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task A_refused_edit_is_mapped_like_a_refused_generation()
    {
        using var host = OpenAiTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(prompt: $"edit this {OpenAiFake.Moderated}", inputImages: [DataUri(Sketch)]), CancellationToken.None));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Single(_fake.Edits);
    }
}
