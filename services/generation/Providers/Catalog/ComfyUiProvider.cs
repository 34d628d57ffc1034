namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// A self-hosted ComfyUI server. Its one model, <c>workflow</c>, is the workflow template the worker is configured with
/// (<c>Providers:comfyui:Options:WorkflowPath</c>, else the built-in SDXL text-to-image graph): the gateway cannot know which
/// checkpoint or nodes it uses, so sizes are those latent-diffusion graphs take (multiples of 8) and the price is nil. No key is
/// needed; an authenticating proxy in front of it takes an optional key.
/// </summary>
public static class ComfyUiProvider
{
    public const string Id = "comfyui";
    public const string ModelId = "workflow";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "ComfyUI (self-hosted)",
        "Your own ComfyUI server, running the worker's workflow template (by default SDXL text-to-image) with the job's prompt, negative prompt, size, seed and batch size put in.",
        ModelId,
        [
            new ModelDescriptor(
                ModelId,
                "Configured workflow",
                "The ComfyUI workflow the worker is configured with; the built-in one is an SDXL checkpoint graph (best at about 1024x1024).",
                new ModelCapabilities(
                    // Latent diffusion works on 8x8 latent cells; EmptyLatentImage takes multiples of 8 from 16 to 16384.
                    Sizes: new SizeRange(64, 4096, 64, 4096, Multiple: 8),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: true,
                    SupportsNegativePrompt: true,
                    // SaveImage writes PNG.
                    OutputFormats: ["png"],
                    Pricing: new Pricing(0m, null, "Self-hosted: no charge per image; the cost is your own hardware and power."),
                    SupportsImageInput: false)),
        ],
        RequiresCredential: false);
}
