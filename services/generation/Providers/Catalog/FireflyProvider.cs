namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// Adobe Firefly Services image generation v3, an asynchronous job API the worker polls (<c>POST /v3/images/generate-async</c>,
/// <c>GET /v3/status/{jobId}</c>), authenticated with an OAuth server-to-server credential (client id and secret, exchanged at
/// Adobe IMS for a token). The model is the <c>x-model-version</c> header; sizes are a fixed list per model (the nearest is sent as
/// <c>size:{width,height}</c>); up to 4 variations per job, each with its own seed; negative prompt and prompts up to 1024 characters.
/// Source: Firefly API reference, https://developer.adobe.com/firefly-services/docs/firefly-api/guides/api/image_generation/V3_Async, as of 2026-11.
/// </summary>
public static class FireflyProvider
{
    public const string Id = "firefly";
    public const string Image3 = "image3";
    public const string Image4Standard = "image4_standard";
    public const string Image4Ultra = "image4_ultra";
    public const string DefaultModel = Image4Standard;

    /// <summary>Firefly's seeds are 32-bit integers.</summary>
    public const long MaxSeed = int.MaxValue;

    public const int MaxPromptLength = 1024;

    /// <summary>The sizes Firefly Image 3 makes (the API's list, without the 16:9 and 7:4 variants a few pixels shorter).</summary>
    public static readonly IReadOnlyList<string> Image3Sizes =
        ["2048x2048", "1024x1024", "2304x1792", "1792x2304", "2688x1536", "1344x768", "1152x896", "896x1152"];

    /// <summary>The sizes Firefly Image 4 (standard and ultra) makes.</summary>
    public static readonly IReadOnlyList<string> Image4Sizes = ["2048x2048", "2304x1792", "1792x2304", "2688x1536", "1440x2560"];

    private const string PriceSource =
        "Adobe sells Firefly Services under enterprise agreements, metered in generative credits, with no public per-image list price " +
        "(https://developer.adobe.com/firefly-services/docs/firefly-api/); this is an estimate from third-party reports of USD 0.02-0.10 " +
        "per image under such agreements, as of 2026-11. Your contract's rate may differ.";

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "Adobe Firefly",
        "Adobe Firefly Image 3 and Image 4 through Firefly Services (enterprise API, commercially safe training data): asynchronous jobs of up to 4 variations, " +
        "sizes from a fixed list per model, seed and negative prompt. The key is an OAuth server-to-server credential, client_id:client_secret.",
        DefaultModel,
        [
            Model(Image4Standard, "Firefly Image 4", "Adobe's Image 4 model: photorealistic detail and better text than Image 3.", Image4Sizes, 0.04m),
            Model(Image4Ultra, "Firefly Image 4 Ultra", "Image 4 at its highest quality, for detailed and complex scenes; slower and more expensive.", Image4Sizes, 0.08m),
            Model(Image3, "Firefly Image 3", "Adobe's Image 3 model, the API's default, with the widest choice of sizes.", Image3Sizes, 0.04m),
        ]);

    private static ModelDescriptor Model(string id, string name, string description, IReadOnlyList<string> sizes, decimal perImage) =>
        new(id, name, description, new ModelCapabilities(
            Sizes: new SizeList(sizes, Parameter: "size"),
            DefaultWidth: 2048,
            DefaultHeight: 2048,
            MaxImages: 4,
            SupportsSeed: true,
            SupportsNegativePrompt: true,
            // The pre-signed result URLs serve JPEG.
            OutputFormats: ["jpeg"],
            Pricing: new Pricing(perImage, null, $"{PriceSource} Estimate: USD {perImage} per image."),
            MaxPromptLength: MaxPromptLength,
            MaxSeed: MaxSeed));
}
