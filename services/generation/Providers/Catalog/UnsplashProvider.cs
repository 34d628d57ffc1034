namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Unsplash stock photos: a fallback that finds a photo, not a generator. The prompt is the search query, so
/// short keyword prompts work best; every image carries the photographer's credit.
/// </summary>
/// <remarks>
/// Any size is accepted (a range, not a list): the worker derives Unsplash's orientation filter (landscape,
/// portrait or squarish) from it and has Unsplash's image CDN crop the photo to exactly that size.
/// </remarks>
public static class UnsplashProvider
{
    public const string Id = "unsplash";
    public const string ModelId = "stock-photo";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Unsplash (stock photos)",
        "Not generative: a random Unsplash photo matching the prompt (used as search keywords), cropped to the requested size, with the photographer's attribution. Free within Unsplash's rate limits.",
        ModelId,
        [
            new ModelDescriptor(
                ModelId,
                "Stock photo",
                "A random photo matching the prompt from Unsplash's library (content filter: high). Attribution must be shown with the image.",
                new ModelCapabilities(
                    Sizes: new SizeRange(64, 4096, 64, 4096),
                    DefaultWidth: 1536,
                    DefaultHeight: 1024,
                    MaxImages: 4,
                    SupportsSeed: false,
                    SupportsNegativePrompt: false,
                    OutputFormats: ["jpeg", "webp", "png"],
                    Pricing: new Pricing(0m, null, "https://unsplash.com/developers (the Unsplash API is free within its rate limits: 50 requests per hour in demo mode, 5,000 in production), as of 2026-11"))),
        ]);
}
