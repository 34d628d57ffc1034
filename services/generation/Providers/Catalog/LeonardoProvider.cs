namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Leonardo.Ai's production API: Phoenix (Leonardo's own foundation model) and the SDXL-based Lightning XL and Kino XL.
/// Asynchronous generations of up to 4 images (the job's limit; Leonardo makes up to 8), any width and height from 32 to
/// 1536 in multiples of 8, a seed, JPEG output. Phoenix takes no negative prompt.
/// Source: Create a Generation of Images, https://docs.leonardo.ai/reference/creategeneration, as of 2026-11.
/// </summary>
/// <remarks>
/// Leonardo bills API credits per generation by model, size, count and options (its pricing calculator and the
/// <c>apiCreditCost</c> of each submission give the exact figure); pay-as-you-go credits cost about $0.0015 each. The
/// per-image prices here are estimates from its published credit table at 1024x1024.
/// </remarks>
public static class LeonardoProvider
{
    public const string Id = "leonardo";
    public const string Phoenix10 = "phoenix-1.0";
    public const string Phoenix09 = "phoenix-0.9";
    public const string LightningXl = "lightning-xl";
    public const string KinoXl = "kino-xl";
    public const string DefaultModel = Phoenix10;

    /// <summary>Width and height: 32 to 1536 pixels, multiples of 8.</summary>
    public static readonly SizeRange Sizes = new(32, 1536, 32, 1536, Multiple: 8);

    private const string PriceSource =
        "Leonardo API pricing calculator, https://docs.leonardo.ai/docs/plan-with-the-pricing-calculator, credits at about $0.0015 (pay as you go)";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Leonardo.Ai",
        "Leonardo's Phoenix foundation model and its SDXL-based Lightning XL and Kino XL through the Leonardo production API: asynchronous generations of up to 4 images, any size from 32 to 1536 pixels in multiples of 8. Generations are kept private.",
        DefaultModel,
        [
            Model(Phoenix10, "Leonardo Phoenix 1.0", "Leonardo's foundation model: strong prompt adherence and legible text in images.", negativePrompt: false,
                new Pricing(0.02m, null, $"{PriceSource}; estimate of about 13 credits per 1024x1024 image, as of 2026-11.")),
            Model(Phoenix09, "Leonardo Phoenix 0.9", "The preview release of Phoenix.", negativePrompt: false,
                new Pricing(0.02m, null, $"{PriceSource}; estimate of about 13 credits per 1024x1024 image, as of 2026-11.")),
            Model(LightningXl, "Leonardo Lightning XL", "A fast SDXL Lightning fine-tune for general-purpose images.", negativePrompt: true,
                new Pricing(0.015m, null, $"{PriceSource}: 40 credits for 4 images at 1024x1024, as of 2026-11.")),
            Model(KinoXl, "Leonardo Kino XL", "An SDXL fine-tune for cinematic, photographic images.", negativePrompt: true,
                new Pricing(0.025m, null, $"{PriceSource}: 66 credits for 4 SDXL images at 1024x1024, as of 2026-11.")),
        ]);

    private static ModelDescriptor Model(string id, string name, string description, bool negativePrompt, Pricing pricing) =>
        new(id, name, description, new ModelCapabilities(
            Sizes: Sizes,
            DefaultWidth: 1024,
            DefaultHeight: 1024,
            MaxImages: 4,
            SupportsSeed: true,
            SupportsNegativePrompt: negativePrompt,
            OutputFormats: ["jpeg"],
            Pricing: pricing));
}
