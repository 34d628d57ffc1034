using System.Text;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests;

public class Inspecting_images
{
    public static TheoryData<byte[], string, int, int> Images => new()
    {
        { TestImages.Png(64, 32), "image/png", 64, 32 },
        { TestImages.Jpeg(50, 70), "image/jpeg", 50, 70 },
        { TestImages.Webp(33, 21), "image/webp", 33, 21 },
        { TestImages.Gif, "image/gif", 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void The_type_and_size_come_from_the_bytes(byte[] bytes, string contentType, int width, int height)
    {
        var details = ImageInspector.Inspect(bytes);

        Assert.Equal(new ImageDetails(contentType, width, height), details);
    }

    public static TheoryData<byte[]> NotImages => new()
    {
        Encoding.UTF8.GetBytes("<html><body>502 Bad Gateway</body></html>"),
        Encoding.UTF8.GetBytes("""{"error":"Model is loading"}"""),
        Array.Empty<byte>(),
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A },
        new byte[] { 0xFF, 0xD8, 0xFF, 0x00, 0x01, 0x02 },
        "BM"u8.ToArray().Concat(new byte[60]).ToArray(),
    };

    [Theory]
    [MemberData(nameof(NotImages))]
    public void Anything_else_is_refused_as_not_an_image(byte[] bytes)
    {
        var error = Assert.Throws<ProviderException>(() => ImageInspector.Inspect(bytes));

        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Equal(ImageInspector.NotAnImage, error.Message);
        Assert.False(ImageInspector.TryInspect(bytes, out _));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Base64_image_data_becomes_a_checked_image(bool asDataUri, bool withLineBreaks)
    {
        var png = TestImages.Png(40, 30);
        var base64 = withLineBreaks ? Convert.ToBase64String(png, Base64FormattingOptions.InsertLineBreaks) : Convert.ToBase64String(png);

        var image = ImageInspector.FromBase64(asDataUri ? $"data:image/png;base64,{base64}" : base64);

        Assert.Equal(("image/png", 40, 30), (image.ContentType, image.Width, image.Height));
        await using var stream = await image.OpenReadAsync(CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(png, copy.ToArray());
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("data:image/png,rawbytes")]
    [InlineData("PGh0bWw+PC9odG1sPg==")]
    public void Base64_that_is_not_an_image_is_refused(string value)
    {
        var error = Assert.Throws<ProviderException>(() => ImageInspector.FromBase64(value));

        Assert.Equal(ErrorCodes.Internal, error.Code);
    }
}

public class A_provider_request
{
    [Fact]
    public void Never_shows_its_credential_when_printed()
    {
        var request = new ProviderRequest(Guid.NewGuid(), 1, "m", "a cat", null, 64, 64, 1, 1, ImageOutputFormat.Png)
        {
            Credential = "sk-live-do-not-print-me",
            Parameters = new Dictionary<string, string> { ["size"] = "1024x1024" },
        };

        var printed = request.ToString();

        Assert.DoesNotContain("sk-live-do-not-print-me", printed);
        Assert.Contains("Credential = [redacted]", printed);
        Assert.Contains("size=1024x1024", printed);
    }

    [Fact]
    public void Has_parameters_even_when_none_were_given()
    {
        var request = new ProviderRequest(Guid.NewGuid(), 1, "m", "a cat", null, 64, 64, 1, 1, ImageOutputFormat.Png) { Parameters = null! };

        Assert.Empty(request.Parameters);
        Assert.Null(request.Parameter("size"));
    }

    [Fact]
    public void Without_a_credential_refuses_to_hand_one_out()
    {
        var request = new ProviderRequest(Guid.NewGuid(), 1, "m", "a cat", null, 64, 64, 1, 1, ImageOutputFormat.Png);

        var error = Assert.Throws<ProviderException>(request.RequireCredential);

        Assert.Equal(ErrorCodes.Authentication, error.Code);
    }
}
