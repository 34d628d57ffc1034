using SkiaSharp;

namespace ImageGen.Providers.Tests;

/// <summary>Decodes images and compares them pixel by pixel.</summary>
internal static class ImageAssert
{
    public static SKBitmap Decode(byte[] encoded)
    {
        var bitmap = SKBitmap.Decode(encoded);
        Assert.NotNull(bitmap);
        return bitmap;
    }

    /// <summary>Mean absolute difference per colour channel, 0 (identical) to 255 (black against white).</summary>
    public static double MeanDifference(byte[] a, byte[] b)
    {
        using var first = Decode(a);
        using var second = Decode(b);
        Assert.Equal((first.Width, first.Height), (second.Width, second.Height));
        double total = 0;
        for (var y = 0; y < first.Height; y++)
        {
            for (var x = 0; x < first.Width; x++)
            {
                var p = first.GetPixel(x, y);
                var q = second.GetPixel(x, y);
                total += Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue);
            }
        }

        return total / (first.Width * first.Height * 3.0);
    }
}
