namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Hugging Face's own serverless inference (the <c>hf-inference</c> provider of the Inference Providers router).
/// Model ids are Hub repository ids and contain a slash, so the "provider/model" form of a request reads
/// <c>huggingface/black-forest-labs/FLUX.1-schnell</c>: the provider is everything before the first slash.
/// Width and height go in the request body as pixels; one image per call.
/// </summary>
public static class HuggingFaceProvider
{
    public const string Id = "huggingface";
    public const string FluxSchnell = "black-forest-labs/FLUX.1-schnell";
    public const string StableDiffusionXl = "stabilityai/stable-diffusion-xl-base-1.0";

    // hf-inference has no per-image price: it bills GPU time at the hardware's rate. These figures assume a
    // few seconds of GPU time per 1024x1024 image and are estimates for the cost engine, not quotes.
    private const string PriceSource =
        "Estimate: hf-inference bills compute time x hardware price, not per image (https://huggingface.co/docs/inference-providers/pricing), as of 2026-11";

    private static readonly SizeRange Sizes = new(256, 1536, 256, 1536, Multiple: 8);

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Hugging Face Inference",
        "Open models on Hugging Face's serverless hf-inference. A cold model answers 503 while it loads; the job is retried after the time the provider estimates.",
        FluxSchnell,
        [
            new ModelDescriptor(
                FluxSchnell,
                "FLUX.1 [schnell]",
                "Black Forest Labs' 4-step distilled FLUX model (Apache-2.0). Takes no negative prompt.",
                new ModelCapabilities(
                    Sizes: Sizes,
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: true,
                    // FLUX.1-schnell runs without classifier-free guidance, so a negative prompt has no effect.
                    SupportsNegativePrompt: false,
                    OutputFormats: ["png", "jpeg", "webp"],
                    Pricing: new Pricing(0.002m, null, $"{PriceSource}: about 2 GPU-seconds per image."))),
            new ModelDescriptor(
                StableDiffusionXl,
                "Stable Diffusion XL 1.0 (base)",
                "Stability AI's SDXL base model (OpenRAIL++).",
                new ModelCapabilities(
                    Sizes: Sizes,
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: true,
                    SupportsNegativePrompt: true,
                    OutputFormats: ["png", "jpeg", "webp"],
                    Pricing: new Pricing(0.004m, null, $"{PriceSource}: about 4 GPU-seconds per image (30 steps)."))),
        ]);
}
