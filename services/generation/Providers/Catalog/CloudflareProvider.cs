namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Cloudflare Workers AI's text-to-image models, called through the REST API of the account named by
/// <c>Providers:cloudflare:Options:AccountId</c>. One image per call (the worker makes one call per image asked for).
/// </summary>
/// <remarks>
/// FLUX.1 [schnell] has a fixed 1024x1024 output and a closed input schema (prompt and steps only; a seed or a
/// negative prompt is refused), so both are dropped with a warning. Stable Diffusion XL takes free sizes from 256
/// to 2048, a seed and a negative prompt. Schemas: https://developers.cloudflare.com/workers-ai/models/, as of 2026-11.
/// </remarks>
public static class CloudflareProvider
{
    public const string Id = "cloudflare";
    public const string FluxSchnell = "flux-1-schnell";
    public const string StableDiffusionXl = "stable-diffusion-xl-base-1.0";
    public const string DefaultModel = FluxSchnell;

    /// <summary>4 tiles of 512x512 at $0.0000528 each plus 4 steps (the default) at $0.0001056 each.</summary>
    public const decimal FluxSchnellPerImageUsd = 4 * 0.0000528m + 4 * 0.0001056m;

    private const string PriceSource = "Workers AI pricing, https://developers.cloudflare.com/workers-ai/platform/pricing/, as of 2026-11";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Cloudflare Workers AI",
        "Serverless FLUX.1 [schnell] and Stable Diffusion XL on Cloudflare's GPU network, billed in neurons. Needs an API token with Workers AI access and the account id.",
        DefaultModel,
        [
            new ModelDescriptor(
                FluxSchnell,
                "FLUX.1 [schnell]",
                "Black Forest Labs' fast 12B rectified-flow model: 1024x1024 JPEG in 4 steps; takes no seed and no negative prompt.",
                new ModelCapabilities(
                    Sizes: new SizeList(["1024x1024"]),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: false,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["jpeg"],
                    Pricing: new Pricing(FluxSchnellPerImageUsd, null,
                        $"{PriceSource}: $0.0000528 per 512x512 tile and $0.0001056 per step, at 1024x1024 and the default 4 steps."),
                    MaxPromptLength: 2048)),
            new ModelDescriptor(
                StableDiffusionXl,
                "Stable Diffusion XL base 1.0",
                "Stability AI's SDXL base model (a Workers AI beta): PNG output, sizes from 256 to 2048 in multiples of 8, seed and negative prompt.",
                new ModelCapabilities(
                    Sizes: new SizeRange(256, 2048, 256, 2048, Multiple: 8),
                    DefaultWidth: 1024,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: true,
                    SupportsNegativePrompt: true,
                    OutputFormats: ["png"],
                    Pricing: new Pricing(0m, null,
                        $"{PriceSource}: not on the price list; a beta model metered at 0 neurons per step (its model card's neuron cost)."))),
        ]);
}
