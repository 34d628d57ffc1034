using System.Globalization;

namespace ImageGen.Generation.Providers.Catalog;

/// <summary>
/// fal.ai's queue API serving Black Forest Labs' FLUX models: FLUX.1 [schnell] and [dev] and FLUX1.1 [pro].
/// Sizes go as fal's <c>image_size</c>: a preset name (<c>square_hd</c>, <c>portrait_4_3</c>, <c>landscape_16_9</c>, …)
/// when the size asked is exactly a preset's, otherwise a custom width and height (the worker sends
/// <c>{"width", "height"}</c>). Up to 4 images per request, a seed, PNG or JPEG; no negative prompt.
/// Billed per output megapixel, rounded up to whole megapixels.
/// Source: fal model pages (https://fal.ai/models/fal-ai/flux/schnell, …/flux/dev, …/flux-pro/v1.1) and the common
/// model arguments (https://docs.fal.ai/documentation/model-apis/model-arguments), as of 2026-11.
/// </summary>
public static class FalProvider
{
    public const string Id = "fal";
    public const string Schnell = "fal-ai/flux/schnell";
    public const string Dev = "fal-ai/flux/dev";
    public const string ProV11 = "fal-ai/flux-pro/v1.1";
    public const string DefaultModel = Schnell;
    public const string ImageSizeParameter = "image_size";

    /// <summary>fal's named sizes, as its model arguments page lists them.</summary>
    public static readonly IReadOnlyList<SizePreset> Presets =
    [
        new("square_hd", 1024, 1024),
        new("square", 512, 512),
        new("portrait_4_3", 768, 1024),
        new("portrait_16_9", 576, 1024),
        new("landscape_4_3", 1024, 768),
        new("landscape_16_9", 1024, 576),
    ];

    // FLUX.1 works on 16-pixel latent patches; 2048 keeps a custom size within what the open models render well.
    private static readonly FalImageSize OpenModelSizes = new(Presets, MinSide: 256, MaxSide: 2048, Multiple: 16);

    // FLUX1.1 [pro] takes 256-1440 in multiples of 32 (Black Forest Labs' own limits for the model).
    private static readonly FalImageSize ProSizes = new(Presets, MinSide: 256, MaxSide: 1440, Multiple: 32);

    public static readonly ProviderDescriptor Descriptor = new(
        Id,
        "fal.ai",
        "FLUX models on fal.ai's serverless queue: FLUX.1 [schnell] (fast), FLUX.1 [dev] and FLUX1.1 [pro]. Sizes go as fal's image_size presets or a custom width and height; up to 4 images per request.",
        DefaultModel,
        [
            Model(Schnell, "FLUX.1 [schnell]", "Black Forest Labs' fastest open FLUX model (1-4 steps).", OpenModelSizes,
                new Pricing(null, 0.003m, "fal.ai, https://fal.ai/models/fal-ai/flux/schnell ($0.003 per megapixel, rounded up to whole megapixels), as of 2026-11.")),
            Model(Dev, "FLUX.1 [dev]", "The 12B open FLUX model: higher quality than schnell, about 28 steps.", OpenModelSizes,
                new Pricing(null, 0.025m, "fal.ai, https://fal.ai/models/fal-ai/flux/dev ($0.025 per megapixel, rounded up to whole megapixels), as of 2026-11.")),
            Model(ProV11, "FLUX1.1 [pro]", "Black Forest Labs' commercial FLUX1.1 [pro], served by fal.", ProSizes,
                new Pricing(null, 0.04m, "fal.ai, https://fal.ai/models/fal-ai/flux-pro/v1.1 ($0.04 per megapixel, rounded up to whole megapixels), as of 2026-11.")),
        ]);

    private static ModelDescriptor Model(string id, string name, string description, FalImageSize sizes, Pricing pricing) =>
        new(id, name, description, new ModelCapabilities(
            Sizes: sizes,
            DefaultWidth: 1024,
            DefaultHeight: 1024,
            MaxImages: 4,
            SupportsSeed: true,
            SupportsNegativePrompt: false,
            OutputFormats: ["png", "jpeg"],
            Pricing: pricing));
}

/// <summary>
/// fal's <c>image_size</c>: a size that is exactly one of the presets goes by its name; any other size inside the
/// model's side limits goes as <c>WIDTHxHEIGHT</c> (rounded to <paramref name="Multiple"/>), which the worker sends
/// as fal's <c>{"width", "height"}</c> object. With <paramref name="AllowsCustom"/> false only presets are used,
/// the nearest in shape and then in area (1024x1536 becomes <c>portrait_4_3</c>).
/// </summary>
public sealed record FalImageSize(
    IReadOnlyList<SizePreset> Presets,
    int MinSide,
    int MaxSide,
    int Multiple,
    bool AllowsCustom = true,
    string Parameter = FalProvider.ImageSizeParameter) : SizeSpec
{
    public override SizeChoice? Choose(int width, int height)
    {
        if (Presets.FirstOrDefault(p => p.Width == width && p.Height == height) is { } exact)
        {
            return new SizeChoice(width, height, new(Parameter, exact.Name), null);
        }

        if (!AllowsCustom)
        {
            var nearest = Presets
                .OrderBy(p => RatioDistance(Ratio(p.Width, p.Height), Ratio(width, height)))
                .ThenBy(p => Math.Abs(Math.Log((double)p.Width * p.Height / ((double)width * height))))
                .First();
            return new SizeChoice(nearest.Width, nearest.Height, new(Parameter, nearest.Name),
                $"adjusted to {nearest.Name} ({nearest.Width}x{nearest.Height}), the nearest size the model makes");
        }

        if (width < MinSide || width > MaxSide || height < MinSide || height > MaxSide)
        {
            return null;
        }

        var w = Math.Clamp((int)Math.Round(width / (double)Multiple) * Multiple, MinSide, MaxSide);
        var h = Math.Clamp((int)Math.Round(height / (double)Multiple) * Multiple, MinSide, MaxSide);
        var adjustment = (w, h) == (width, height) ? null : $"rounded to {w}x{h}: sides must be multiples of {Multiple}";
        return new SizeChoice(w, h, new(Parameter, string.Create(CultureInfo.InvariantCulture, $"{w}x{h}")), adjustment);
    }

    public override string Describe()
    {
        var presets = string.Join(", ", Presets.Select(p => $"{p.Name} ({p.Width}x{p.Height})"));
        return AllowsCustom
            ? $"width and height {MinSide}-{MaxSide} pixels in multiples of {Multiple}, or a preset: {presets}"
            : $"one of the presets {presets}";
    }

    public override IReadOnlyList<string>? Enumerate() =>
        AllowsCustom ? null : Presets.Select(p => $"{p.Width}x{p.Height}").ToList();
}
