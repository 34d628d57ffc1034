using SkiaSharp;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>Small real images, encoded by SkiaSharp, for fakes to return and tests to compare against.</summary>
public static class TestImages
{
    /// <summary>A 1x1 GIF (SkiaSharp has no GIF encoder).</summary>
    public static readonly byte[] Gif = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    public static byte[] Png(int width, int height) => Encode(width, height, SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width, int height) => Encode(width, height, SKEncodedImageFormat.Jpeg);

    public static byte[] Webp(int width, int height) => Encode(width, height, SKEncodedImageFormat.Webp);

    private static byte[] Encode(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            // A gradient, so encoders have something to compress and sizes differ by dimensions.
            using var paint = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [SKColors.OrangeRed, SKColors.SteelBlue], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, width, height, paint);
        }

        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>All the bytes of an adapter's image, read as the worker's consumer reads them.</summary>
    public static async Task<byte[]> ReadAsync(ImageGen.Providers.Adapters.ProviderImage image)
    {
        await using var stream = await image.OpenReadAsync(CancellationToken.None);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
