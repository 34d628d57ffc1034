using System.Globalization;

namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// ByteDance Seedream through Volcengine Ark (the Beijing region by default; BytePlus ModelArk speaks the same
/// protocol). One image per call (the worker makes one call per image asked for), JPEG output, no negative prompt.
/// </summary>
/// <remarks>
/// Seedream 4.0 takes either a preset ("1K", "2K", "4K": the model then picks the shape from the prompt) or an
/// exact "WIDTHxHEIGHT" anywhere in a window of total pixels (1280x720 to 4096x4096) and aspect ratios (1:16 to
/// 16:1). The exact form is used, so a job gets the shape it asked for; sizes outside the window are scaled into
/// it keeping their shape. Seedream 3.0 takes "WIDTHxHEIGHT" with sides of 512 to 2048 and, unlike 4.0, a seed.
/// Source: Volcengine Ark image generation API, https://www.volcengine.com/docs/82379/1541523, as of 2026-11.
/// </remarks>
public static class ArkProvider
{
    public const string Id = "ark";
    public const string Seedream4 = "doubao-seedream-4-0-250828";
    public const string Seedream3 = "doubao-seedream-3-0-t2i-250415";
    public const string DefaultModel = Seedream4;

    /// <summary>Seedream 3.0's seed range is that of a signed 32-bit integer.</summary>
    public const long Seedream3MaxSeed = int.MaxValue;

    /// <summary>1280x720: the smallest pixel count Seedream 4.0 accepts as an exact size.</summary>
    public const long Seedream4MinPixels = 1280 * 720;

    /// <summary>4096x4096: the largest pixel count Seedream 4.0 accepts.</summary>
    public const long Seedream4MaxPixels = 4096 * 4096;

    private const string PriceSource =
        "Volcengine Ark model pricing, https://www.volcengine.com/docs/82379/1544106 (CNY 0.2 per Seedream 4.0 image, CNY 0.259 per Seedream 3.0 image); " +
        "BytePlus ModelArk lists both at USD 0.03 per image, https://docs.byteplus.com/en/docs/ModelArk/1544106; as of 2026-11";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "ByteDance Seedream (Volcengine Ark)",
        "ByteDance's Seedream image models through the Volcengine Ark API: exact sizes up to 4096x4096, image editing from reference images (4.0), no watermark unless the worker is configured to add one.",
        DefaultModel,
        [
            new ModelDescriptor(
                Seedream4,
                "Seedream 4.0",
                "Text-to-image and image editing in one model; up to 10 reference images; sizes from 1280x720 to 4096x4096 pixels.",
                new ModelCapabilities(
                    Sizes: new PixelCountRange(Seedream4MinPixels, Seedream4MaxPixels, MaxAspectRatio: 16, Parameter: "size"),
                    DefaultWidth: 2048,
                    DefaultHeight: 2048,
                    MaxImages: 4,
                    // The API documents seed for the 3.0 models only; 4.0 ignores it.
                    SupportsSeed: false,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["jpeg"],
                    Pricing: new Pricing(0.03m, null, $"{PriceSource}."),
                    SupportsImageInput: true)),
            new ModelDescriptor(
                Seedream3,
                "Seedream 3.0",
                "Text-to-image with a seed and a guidance scale; sides of 512 to 2048 pixels.",
                new ModelCapabilities(
                    Sizes: new SizeRange(512, 2048, 512, 2048, Parameter: "size"),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: true,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["jpeg"],
                    // USD 0.036 is CNY 0.259 at 7.2 CNY per USD; BytePlus charges USD 0.03.
                    Pricing: new Pricing(0.036m, null, $"{PriceSource}."),
                    MaxSeed: Seedream3MaxSeed)),
        ]);
}

/// <summary>
/// Any WIDTHxHEIGHT whose pixel count lies in a window and whose shape is not too extreme (Seedream 4.0,
/// Wan 2.5): a size outside the window is scaled into it keeping its aspect ratio; a shape beyond
/// <paramref name="MaxAspectRatio"/> (either way round) is refused.
/// </summary>
public sealed record PixelCountRange(long MinPixels, long MaxPixels, double MaxAspectRatio, string Parameter, char Separator = 'x') : SizeSpec
{
    public override SizeChoice? Choose(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            return null;
        }

        var ratio = Ratio(width, height);
        if (ratio > MaxAspectRatio || ratio < 1 / MaxAspectRatio)
        {
            return null;
        }

        var (w, h) = (width, height);
        var pixels = (long)w * h;
        if (pixels < MinPixels)
        {
            var scale = Math.Sqrt(MinPixels / (double)pixels);
            (w, h) = ((int)Math.Ceiling(width * scale), (int)Math.Ceiling(height * scale));
        }
        else if (pixels > MaxPixels)
        {
            var scale = Math.Sqrt(MaxPixels / (double)pixels);
            (w, h) = ((int)Math.Floor(width * scale), (int)Math.Floor(height * scale));
        }

        var adjustment = (w, h) == (width, height)
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"scaled to {w}x{h}, keeping its shape: the model makes {MinPixels:N0} to {MaxPixels:N0} pixels");
        return new SizeChoice(w, h, new(Parameter, string.Create(CultureInfo.InvariantCulture, $"{w}{Separator}{h}")), adjustment);
    }

    public override string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"any width and height totalling {MinPixels:N0} to {MaxPixels:N0} pixels, with an aspect ratio between 1:{MaxAspectRatio:0.##} and {MaxAspectRatio:0.##}:1");

    public override IReadOnlyList<string>? Enumerate() => null;
}
