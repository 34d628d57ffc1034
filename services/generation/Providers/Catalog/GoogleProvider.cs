namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Google's image models on the Gemini Developer API: Imagen 4 (Fast, Standard, Ultra) and Gemini 2.5 Flash
/// Image. Both take an aspect ratio, not pixels, so sizes are sent as the nearest ratio the model accepts;
/// Gemini makes one image per call (the worker calls it once per image) and can edit input images.
/// </summary>
public static class GoogleProvider
{
    public const string Id = "google";
    public const string GeminiFlashImage = "gemini-2.5-flash-image";
    public const string Imagen4 = "imagen-4.0-generate-001";
    public const string Imagen4Fast = "imagen-4.0-fast-generate-001";
    public const string Imagen4Ultra = "imagen-4.0-ultra-generate-001";

    private const string PricingPage = "https://ai.google.dev/gemini-api/docs/pricing";

    // Both families render about one megapixel at 1K (1024x1024 square, 1408x768 at 16:9 for Imagen, 1344x768 for Gemini).
    private static readonly SizeSpec ImagenSizes = new AspectRatioList(["1:1", "3:4", "4:3", "9:16", "16:9"], 1024 * 1024);
    private static readonly SizeSpec GeminiSizes = new AspectRatioList(["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"], 1024 * 1024);

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Google Imagen and Gemini",
        "Google's Imagen 4 text-to-image models and Gemini 2.5 Flash Image (generation and editing) through the Gemini API. Sizes are sent as aspect ratios.",
        GeminiFlashImage,
        [
            new ModelDescriptor(
                GeminiFlashImage,
                "Gemini 2.5 Flash Image",
                "Conversational image model: generates from a prompt and edits or combines input images. One image per call; several are made one after the other.",
                new ModelCapabilities(
                    Sizes: GeminiSizes,
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: false,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["png"],
                    Pricing: new Pricing(0.039m, null, $"{PricingPage} (Gemini 2.5 Flash Image: 1290 output tokens per image at $30 per million, $0.039 per image), as of 2026-11"),
                    SupportsImageInput: true)),
            Imagen(Imagen4, "Imagen 4", "Google's standard text-to-image model: strong prompt following and text rendering.", 0.04m, "Imagen 4 Standard"),
            Imagen(Imagen4Fast, "Imagen 4 Fast", "The quickest and cheapest Imagen 4 variant, for drafts and volume.", 0.02m, "Imagen 4 Fast"),
            Imagen(Imagen4Ultra, "Imagen 4 Ultra", "The most faithful Imagen 4 variant, for when the prompt must be followed closely.", 0.06m, "Imagen 4 Ultra"),
        ]);

    private static ModelDescriptor Imagen(string id, string name, string description, decimal price, string priceLabel) => new(
        id,
        name,
        description,
        new ModelCapabilities(
            Sizes: ImagenSizes,
            DefaultWidth: 1024,
            DefaultHeight: 1024,
            MaxImages: 4,
            SupportsSeed: false,
            SupportsNegativePrompt: false,
            OutputFormats: ["png", "jpeg"],
            Pricing: new Pricing(price, null, $"{PricingPage} ({priceLabel}: ${price:0.00} per image), as of 2026-11")));
}
