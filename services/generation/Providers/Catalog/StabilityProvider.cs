namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Stability AI's Stable Image v2beta API: Ultra, Core and the Stable Diffusion 3.5 family. The models take
/// an aspect ratio rather than pixels (about one megapixel each), make one image per call (the worker makes
/// one call per image asked for) and are billed in credits at $0.01 each.
/// </summary>
public static class StabilityProvider
{
    public const string Id = "stability";
    public const string DefaultModel = "core";

    /// <summary>The largest seed the API takes; 0 asks it for a random one.</summary>
    public const long MaxSeed = 4_294_967_294;

    private const string PriceSource = "Stability AI pricing, https://platform.stability.ai/pricing (credits at $0.01 each), as of 2026-11";

    private static readonly AspectRatioList AspectRatios =
        new(["16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"], 1024 * 1024);

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Stability AI",
        "Stable Image Ultra and Core and Stable Diffusion 3.5 through the Stability AI v2beta API. Sizes are sent as the nearest aspect ratio; the model decides the pixel count (about one megapixel).",
        DefaultModel,
        [
            Model("ultra", "Stable Image Ultra", "Stability's most photorealistic, highest-quality model.", credits: 8m, sd3: false),
            Model("core", "Stable Image Core", "Fast and affordable general-purpose generation.", credits: 3m, sd3: false),
            Model("sd3.5-large", "Stable Diffusion 3.5 Large", "8B-parameter SD 3.5 model: strong prompt adherence and detail.", credits: 6.5m, sd3: true),
            Model("sd3.5-large-turbo", "Stable Diffusion 3.5 Large Turbo", "Distilled SD 3.5 Large: fewer steps, faster and cheaper.", credits: 4m, sd3: true),
            Model("sd3.5-medium", "Stable Diffusion 3.5 Medium", "2.5B-parameter SD 3.5 model balancing quality and cost.", credits: 3.5m, sd3: true),
        ]);

    private static ModelDescriptor Model(string id, string name, string description, decimal credits, bool sd3) =>
        new(id, name, description, new ModelCapabilities(
            Sizes: AspectRatios,
            DefaultWidth: 1024,
            DefaultHeight: 1024,
            MaxImages: 4,
            SupportsSeed: true,
            SupportsNegativePrompt: true,
            // The sd3 endpoint makes no WebP.
            OutputFormats: sd3 ? ["png", "jpeg"] : ["png", "jpeg", "webp"],
            Pricing: new Pricing(credits * 0.01m, null, $"{PriceSource}: {credits} credits per image."),
            MaxSeed: MaxSeed));
}
