using ImageGen.Providers.Tests.Fakes;
using System.Security.Cryptography;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Builtin;

namespace ImageGen.Providers.Tests;

public class The_builtin_provider
{
    private readonly BuiltinProviderAdapter _adapter = new();

    private static ProviderRequest Request(
        int width = 128, int height = 96, int count = 1, string model = BuiltinProviderAdapter.ModelId,
        ImageOutputFormat format = ImageOutputFormat.Png) =>
        new(Guid.NewGuid(), 1, model, "boats in a harbour at dusk", null, width, height, count, 500, format);

    [Fact]
    public async Task Makes_as_many_different_images_as_asked_for()
    {
        var result = await _adapter.GenerateAsync(Request(count: 3), CancellationToken.None);

        Assert.Equal(BuiltinProviderAdapter.ModelId, result.Model);
        Assert.Equal(3, result.Images.Count);
        var digests = new List<string>();
        foreach (var image in result.Images)
        {
            Assert.Equal(("image/png", 128, 96), (image.ContentType, image.Width, image.Height));
            digests.Add(Convert.ToHexString(SHA256.HashData(await TestImages.ReadAsync(image))));
        }

        Assert.Equal(3, digests.Distinct().Count());
    }

    [Fact]
    public async Task Image_i_of_a_batch_is_the_image_for_seed_plus_i()
    {
        var result = await _adapter.GenerateAsync(Request(count: 2, format: ImageOutputFormat.Webp), CancellationToken.None);

        var second = ProceduralRenderer.Render("boats in a harbour at dusk", null, 501, 128, 96, ImageOutputFormat.Webp);
        Assert.Equal(second, await TestImages.ReadAsync(result.Images[1]));
        Assert.Equal("image/webp", result.Images[1].ContentType);
    }

    [Fact]
    public async Task An_empty_model_means_the_default_model()
    {
        var result = await _adapter.GenerateAsync(Request(model: ""), CancellationToken.None);

        Assert.Equal(BuiltinProviderAdapter.ModelId, result.Model);
    }

    [Theory]
    [InlineData(63, 64, 1, BuiltinProviderAdapter.ModelId)]
    [InlineData(64, 4097, 1, BuiltinProviderAdapter.ModelId)]
    [InlineData(64, 64, 0, BuiltinProviderAdapter.ModelId)]
    [InlineData(64, 64, BuiltinProviderAdapter.MaxCount + 1, BuiltinProviderAdapter.ModelId)]
    [InlineData(64, 64, 1, "dall-e-3")]
    public async Task Refuses_what_it_cannot_make_as_an_invalid_request(int width, int height, int count, string model)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(
            () => _adapter.GenerateAsync(Request(width, height, count, model), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.False(error.Retryable);
    }
}

public class A_provider_image
{
    [Fact]
    public async Task Given_as_bytes_reads_back_exactly_those_bytes_each_time()
    {
        var bytes = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray();
        var image = ProviderImage.FromBytes(bytes, "image/png", 10, 20);

        for (var read = 0; read < 2; read++)
        {
            await using var stream = await image.OpenReadAsync(CancellationToken.None);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
    }
}
