namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// OpenAI Images (<c>POST /v1/images/generations</c> and <c>/v1/images/edits</c>). Sizes are a fixed list per
/// model sent as <c>size</c>; neither model takes a seed or a negative prompt.
/// </summary>
public static class OpenAiProvider
{
    public const string Id = "openai";
    public const string GptImage1 = "gpt-image-1";
    public const string DallE3 = "dall-e-3";

    private const string GptImage1Pricing =
        "Per image at medium quality (the worker's default) and 1024x1024. The price depends on quality and size: " +
        "1024x1024 low $0.011, medium $0.042, high $0.167; 1536x1024 or 1024x1536 low $0.016, medium $0.063, high $0.25. " +
        "Billed by tokens (text input $5, image input $10, image output $40 per 1M); the worker reports the exact cost " +
        "from the token usage OpenAI returns. Source: https://developers.openai.com/api/docs/models/gpt-image-1 (as of 2026-11).";

    private const string DallE3Pricing =
        "Per image at standard quality and 1024x1024. 1792x1024 or 1024x1792 cost $0.08, hd quality $0.08 (square) or $0.12; " +
        "the worker reports the cost of the size and quality it sent. " +
        "Source: https://platform.openai.com/docs/pricing (image generation, DALL·E 3; as of 2026-11).";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "OpenAI",
        "OpenAI Images API: GPT Image generates and edits (up to 16 input images); DALL·E 3 generates only.",
        GptImage1,
        [
            new ModelDescriptor(
                GptImage1,
                "GPT Image 1",
                "Natively multimodal image model with strong prompt following and text rendering; generates and edits images.",
                new ModelCapabilities(
                    Sizes: new SizeList(["1024x1024", "1536x1024", "1024x1536"], Parameter: "size"),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: false,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["png", "jpeg", "webp"],
                    Pricing: new Pricing(0.042m, null, GptImage1Pricing),
                    SupportsImageInput: true,
                    MaxPromptLength: 32000)),
            new ModelDescriptor(
                DallE3,
                "DALL·E 3",
                "OpenAI's previous image model. One image per call: the worker makes one call per image asked for.",
                new ModelCapabilities(
                    Sizes: new SizeList(["1024x1024", "1792x1024", "1024x1792"], Parameter: "size"),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: false,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["png"],
                    Pricing: new Pricing(0.04m, null, DallE3Pricing),
                    SupportsImageInput: false,
                    MaxPromptLength: 4000)),
        ]);
}
