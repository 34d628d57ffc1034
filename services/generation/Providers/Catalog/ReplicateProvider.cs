namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Black Forest Labs' FLUX models run on Replicate, named as Replicate names them (<c>owner/name</c>). FLUX.1 [schnell]
/// and [dev] take an aspect ratio and a size of one or a quarter megapixel (the preset chosen here is sent as
/// <c>aspect_ratio</c>; the worker derives <c>megapixels</c> from its size) and make up to 4 images per prediction.
/// FLUX 1.1 [pro] takes any size from 256 to 1440 in multiples of 32 and makes one image per prediction (the worker
/// runs one per image asked for). Replicate bills these models per output image.
/// </summary>
/// <remarks>
/// Sizes: cog-flux's aspect-ratio table (1:1 = 1024x1024, 16:9 = 1344x768, …; 0.25 megapixels halves both sides) and
/// the model pages' input schemas, https://replicate.com/black-forest-labs/flux-schnell/api, as of 2026-11.
/// </remarks>
public static class ReplicateProvider
{
    public const string Id = "replicate";
    public const string FluxSchnell = "black-forest-labs/flux-schnell";
    public const string FluxDev = "black-forest-labs/flux-dev";
    public const string Flux11Pro = "black-forest-labs/flux-1.1-pro";
    public const string DefaultModel = FluxSchnell;

    private const string PriceSource = "Replicate pricing, https://replicate.com/pricing (official models, billed per output image)";

    /// <summary>FLUX.1 on Replicate: each aspect ratio at one megapixel and at a quarter of it (both sides halved).</summary>
    public static readonly SizePresets FluxSizes = new(
        [.. new (string Ratio, int Width, int Height)[]
            {
                ("1:1", 1024, 1024), ("16:9", 1344, 768), ("21:9", 1536, 640), ("3:2", 1216, 832), ("2:3", 832, 1216), ("4:5", 896, 1088),
                ("5:4", 1088, 896), ("3:4", 896, 1152), ("4:3", 1152, 896), ("9:16", 768, 1344), ("9:21", 640, 1536),
            }
            .SelectMany(r => new[] { new SizePreset(r.Ratio, r.Width, r.Height), new SizePreset(r.Ratio, r.Width / 2, r.Height / 2) })],
        "aspect_ratio");

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Replicate",
        "Black Forest Labs' FLUX models on Replicate: FLUX.1 [schnell] and [dev] in eleven aspect ratios at one or a quarter megapixel, FLUX 1.1 [pro] at any size up to 1440x1440. Most predictions finish within the request; the rest are polled or reported by webhook.",
        DefaultModel,
        [
            Flux(FluxSchnell, "FLUX.1 [schnell]", "The fastest FLUX model: 4 steps, about a second per image.",
                new Pricing(0.003m, null, $"{PriceSource}: $0.003 per output image, as of 2026-11.")),
            Flux(FluxDev, "FLUX.1 [dev]", "FLUX's open-weights guidance-distilled model: 28 steps, more detail and better prompt following than [schnell].",
                new Pricing(0.025m, null, $"{PriceSource}: $0.025 per output image, as of 2026-11.")),
            new ModelDescriptor(
                Flux11Pro,
                "FLUX 1.1 [pro]",
                "Black Forest Labs' fast professional model: any size from 256 to 1440 pixels in multiples of 32, one image per prediction.",
                new ModelCapabilities(
                    Sizes: new SizeRange(256, 1440, 256, 1440, Multiple: 32),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: true,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["png", "jpeg", "webp"],
                    Pricing: new Pricing(0.04m, null, $"{PriceSource}: $0.04 per output image, as of 2026-11."))),
        ]);

    private static ModelDescriptor Flux(string id, string name, string description, Pricing pricing) =>
        new(id, name, description, new ModelCapabilities(
            Sizes: FluxSizes,
            DefaultWidth: 1024,
            DefaultHeight: 1024,
            MaxImages: 4,
            SupportsSeed: true,
            SupportsNegativePrompt: false,
            OutputFormats: ["png", "jpeg", "webp"],
            Pricing: pricing));
}
