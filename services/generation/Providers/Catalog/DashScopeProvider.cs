namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Alibaba Cloud Model Studio (DashScope) Wan text-to-image, an asynchronous task API the worker polls every 5-10 s.
/// Sizes go as "WIDTH*HEIGHT". Wan 2.2 and 2.1 take sides of 512 to 1440; Wan 2.5 takes any shape from 1:4 to 4:1
/// totalling 768*768 to 1440*1440 pixels (e.g. 768*2700). Up to 4 images per task, PNG, seed and negative prompt.
/// Source: Wan text-to-image V2 API reference, https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference, as of 2026-11.
/// </summary>
public static class DashScopeProvider
{
    public const string Id = "dashscope";
    public const string Wan22Flash = "wan2.2-t2i-flash";
    public const string Wan22Plus = "wan2.2-t2i-plus";
    public const string Wan25Preview = "wan2.5-t2i-preview";
    public const string Wan21Turbo = "wanx2.1-t2i-turbo";
    public const string DefaultModel = Wan22Flash;

    public const long Wan25MinPixels = 768 * 768;
    public const long Wan25MaxPixels = 1440 * 1440;

    /// <summary>DashScope takes seeds 0 to 2^31-1.</summary>
    public const long MaxSeed = int.MaxValue;

    private const string PriceSource = "Alibaba Cloud Model Studio, https://www.alibabacloud.com/help/en/model-studio/models (international, Singapore)";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Alibaba DashScope (Wan)",
        "Alibaba's Wan text-to-image models through Model Studio (DashScope): asynchronous tasks, up to 4 images each, sides up to 1440 pixels (Wan 2.5: up to 1440x1440 pixels in any shape from 1:4 to 4:1).",
        DefaultModel,
        [
            Wan(Wan22Flash, "Wan 2.2 Flash", "The fast Wan 2.2 model.", new SizeRange(512, 1440, 512, 1440, Parameter: "size", Separator: '*'),
                new Pricing(0.025m, null, $"{PriceSource}; estimate (USD 0.025 per image, as listed by resellers for the Singapore region), as of 2026-11.")),
            Wan(Wan22Plus, "Wan 2.2 Plus", "The detailed Wan 2.2 model; slower than Flash.", new SizeRange(512, 1440, 512, 1440, Parameter: "size", Separator: '*'),
                new Pricing(0.05m, null, $"{PriceSource}; estimate (USD 0.05 per image, the Plus tier's price for Wan 2.1), as of 2026-11.")),
            Wan(Wan25Preview, "Wan 2.5 (preview)", "Wan 2.5: any shape from 1:4 to 4:1 up to 1440x1440 pixels.",
                new PixelCountRange(Wan25MinPixels, Wan25MaxPixels, MaxAspectRatio: 4, Parameter: "size", Separator: '*'),
                new Pricing(0.03m, null, $"{PriceSource}; estimate (USD 0.03 per image), as of 2026-11."), defaultSide: 1280),
            Wan(Wan21Turbo, "Wan 2.1 Turbo", "The fast Wan 2.1 model.", new SizeRange(512, 1440, 512, 1440, Parameter: "size", Separator: '*'),
                new Pricing(0.025m, null, "Wan text-to-image V2 API reference, https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference (USD 0.025 per image), as of 2026-11.")),
        ]);

    private static ModelDescriptor Wan(string id, string name, string description, SizeSpec sizes, Pricing pricing, int defaultSide = 1024) =>
        new(id, name, description, new ModelCapabilities(
            Sizes: sizes,
            DefaultWidth: defaultSide,
            DefaultHeight: defaultSide,
            MaxImages: 4,
            SupportsSeed: true,
            SupportsNegativePrompt: true,
            OutputFormats: ["png"],
            Pricing: pricing,
            MaxPromptLength: 2000,
            MaxSeed: MaxSeed));
}
