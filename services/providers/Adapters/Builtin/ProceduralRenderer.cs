using SkiaSharp;

namespace ImageGen.Providers.Adapters.Builtin;

/// <summary>
/// Draws a deterministic procedural picture (sky, sun or moon, clouds, mountain ridges, water, city,
/// forest, abstract shapes, film grain) from a prompt and a seed. It is not an AI model and does not
/// understand the prompt: a few known words steer palette and scene, every word changes the picture
/// through a SHA-256 hash. It exists so ImageGen runs end to end with no provider keys and so tests
/// have real images to store.
/// </summary>
/// <remarks>
/// The same prompt words, negative prompt, seed, size and format give byte-identical output for a
/// given SkiaSharp build, which makes redelivered commands harmless: storage is content-addressed and
/// keeps one copy. Another CPU architecture or Skia version may round differently.
/// </remarks>
public static class ProceduralRenderer
{
    public const int MinSide = 64;
    public const int MaxSide = 4096;

    private const int JpegQuality = 90;
    private const float WebpQuality = 90;

    /// <summary>Renders one image and writes it, encoded as <paramref name="format"/>, to <paramref name="destination"/>.</summary>
    public static void Render(
        string prompt, string? negativePrompt, long seed, int width, int height, ImageOutputFormat format, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxSide);

        var recipe = SceneRecipe.From(prompt, negativePrompt, seed);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            new ScenePainter(recipe, width, height).Paint(canvas);
        }

        if (recipe.Has(SceneElements.Grain))
        {
            AddGrain(bitmap.GetPixelSpan(), new SplitMix64(recipe.Root).Fork(Feature.Grain).NextUInt64(), recipe.Time == TimeOfDay.Day ? 3 : 4);
        }

        Encode(bitmap, format, destination);
    }

    /// <summary>Renders one image into a new array.</summary>
    public static byte[] Render(string prompt, string? negativePrompt, long seed, int width, int height, ImageOutputFormat format)
    {
        using var buffer = new MemoryStream();
        Render(prompt, negativePrompt, seed, width, height, format, buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// Luminance grain: gives flat areas some texture and breaks up banding in the long sky gradients.
    /// A xorshift stream, not <see cref="SplitMix64"/>, because it runs once per pixel.
    /// </summary>
    private static void AddGrain(Span<byte> rgba, ulong state, int amplitude)
    {
        state |= 1;
        var span = 2 * amplitude + 1;
        for (var i = 0; i + 3 < rgba.Length; i += 4)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            var delta = (int)((state >> 32) % (uint)span) - amplitude;
            rgba[i] = (byte)Math.Clamp(rgba[i] + delta, 0, 255);
            rgba[i + 1] = (byte)Math.Clamp(rgba[i + 1] + delta, 0, 255);
            rgba[i + 2] = (byte)Math.Clamp(rgba[i + 2] + delta, 0, 255);
        }
    }

    private static void Encode(SKBitmap bitmap, ImageOutputFormat format, Stream destination)
    {
        using var pixmap = bitmap.PeekPixels();
        var encoded = format switch
        {
            ImageOutputFormat.Png => pixmap.Encode(destination, new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6)),
            ImageOutputFormat.Jpeg => pixmap.Encode(destination, new SKJpegEncoderOptions(JpegQuality)),
            ImageOutputFormat.Webp => pixmap.Encode(destination, new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, WebpQuality)),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
        if (!encoded)
        {
            throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}x{bitmap.Height} image as {format}.");
        }
    }
}
