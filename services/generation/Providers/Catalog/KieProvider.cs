namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// KIE.ai's Flux Kontext API (Black Forest Labs' FLUX.1 Kontext [pro] and [max]): asynchronous tasks, polled and
/// reported by callback. Text to image, or an edit of one input image. Sizes go as the nearest of KIE's aspect ratios
/// (about one megapixel). One image per task: the worker makes one task per image asked for. No seed, no negative
/// prompt; PNG or JPEG.
/// Source: https://docs.kie.ai/flux-kontext-api/generate-or-edit-image, as of 2026-11.
/// </summary>
public static class KieProvider
{
    public const string Id = "kie";
    public const string KontextPro = "flux-kontext-pro";
    public const string KontextMax = "flux-kontext-max";
    public const string DefaultModel = KontextPro;
    public const string AspectRatioParameter = "aspectRatio";

    private const string PriceSource = "KIE.ai pricing, https://kie.ai/pricing (credits at $0.005 each)";

    private static readonly AspectRatioList AspectRatios =
        new(["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"], 1024 * 1024, AspectRatioParameter);

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "KIE.ai (Flux Kontext)",
        "FLUX.1 Kontext [pro] and [max] through KIE.ai: generation from text, or editing of one input image. Sizes go as the nearest aspect ratio (about one megapixel); one task per image.",
        DefaultModel,
        [
            Model(KontextPro, "FLUX.1 Kontext [pro]", "Kontext's standard model: fast text-to-image and instruction-based editing.", credits: 5),
            Model(KontextMax, "FLUX.1 Kontext [max]", "Kontext's strongest model: better prompt adherence and typography, for complex scenes.", credits: 10),
        ]);

    private static ModelDescriptor Model(string id, string name, string description, int credits) =>
        new(id, name, description, new ModelCapabilities(
            Sizes: AspectRatios,
            DefaultWidth: 1024,
            DefaultHeight: 1024,
            MaxImages: 4,
            SupportsSeed: false,
            SupportsNegativePrompt: false,
            OutputFormats: ["png", "jpeg"],
            Pricing: new Pricing(credits * 0.005m, null, $"{PriceSource}: {credits} credits per image, as of 2026-11."),
            SupportsImageInput: true));
}
