namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// The offline provider that ships with ImageGen. It is a deterministic procedural renderer, not an
/// AI model: it exists so the whole system runs with no API keys, and for tests.
/// </summary>
public static class BuiltinProvider
{
    public const string Id = "builtin";
    public const string ModelId = "procedural-v1";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Built-in procedural renderer",
        "Offline, deterministic procedural renderer (not an AI model): the same prompt, seed and size always give the same image. For running without API keys and for tests.",
        ModelId,
        [
            new ModelDescriptor(
                ModelId,
                "Procedural v1",
                "Abstract compositions whose palette and shapes are derived from the prompt and seed.",
                new ModelCapabilities(
                    Sizes: new SizeRange(64, 4096, 64, 4096),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: true,
                    SupportsNegativePrompt: true,
                    OutputFormats: ["png", "jpeg", "webp"],
                    Pricing: Pricing.Free)),
        ],
        RequiresCredential: false);
}
