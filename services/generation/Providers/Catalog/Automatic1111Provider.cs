namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// A self-hosted Stable Diffusion web UI (AUTOMATIC1111) started with <c>--api</c>. Its one model, <c>default</c>,
/// is whatever checkpoint the server has loaded: the gateway cannot know which, so sizes and prices are those of
/// the API, not of a particular checkpoint. No key is needed; Basic auth (<c>--api-auth</c>) is optional.
/// </summary>
public static class Automatic1111Provider
{
    public const string Id = "automatic1111";
    public const string ModelId = "default";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Automatic1111 (self-hosted)",
        "Your own Stable Diffusion web UI (AUTOMATIC1111, started with --api): txt2img, and img2img from an input image, with whatever checkpoint the server has loaded.",
        ModelId,
        [
            new ModelDescriptor(
                ModelId,
                "Loaded checkpoint",
                "The checkpoint currently loaded in the web UI (SD 1.5 works best at 512x512, SDXL at 1024x1024).",
                new ModelCapabilities(
                    // Stable Diffusion works on 8x8 latent cells; the web UI floors other sizes silently.
                    Sizes: new SizeRange(64, 2048, 64, 2048, Multiple: 8),
                    DefaultWidth: 512,
                    DefaultHeight: 512,
                    MaxImages: 4,
                    SupportsSeed: true,
                    SupportsNegativePrompt: true,
                    // The API encodes results in the server's "samples_format" setting, PNG unless changed.
                    OutputFormats: ["png"],
                    Pricing: new Pricing(0m, null, "Self-hosted: no charge per image; the cost is your own hardware and power."),
                    SupportsImageInput: true)),
        ],
        RequiresCredential: false);
}
