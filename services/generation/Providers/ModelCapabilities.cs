using System.Globalization;

namespace ImageGen.Generation.Providers;

/// <summary>What a model charges, and where that figure comes from (so it can be checked and kept current).</summary>
/// <param name="PerImageUsd">Price of one image at the default settings.</param>
/// <param name="PerMegapixelUsd">Price per output megapixel, for models billed by area (used when <paramref name="PerImageUsd"/> is null).</param>
public sealed record Pricing(decimal? PerImageUsd, decimal? PerMegapixelUsd, string Source)
{
    public static readonly Pricing Free = new(0m, null, "No charge: runs locally.");

    public decimal EstimateUsd(int width, int height, int count) =>
        count * (PerImageUsd ?? (PerMegapixelUsd ?? 0m) * Math.Round(width * (decimal)height / 1_000_000m, 2));
}

/// <summary>What one model can do; requests are validated and translated against it before anything is queued.</summary>
public sealed record ModelCapabilities(
    SizeSpec Sizes,
    int DefaultWidth,
    int DefaultHeight,
    int MaxImages,
    bool SupportsSeed,
    bool SupportsNegativePrompt,
    IReadOnlyList<string> OutputFormats,
    Pricing Pricing,
    bool SupportsImageInput = false,
    int MaxPromptLength = 4000,
    long MaxSeed = uint.MaxValue);

public sealed record ModelDescriptor(string Id, string Name, string Description, ModelCapabilities Capabilities);

public sealed record ProviderDescriptor(
    string Id,
    string Name,
    string Description,
    string DefaultModel,
    IReadOnlyList<ModelDescriptor> Models,
    bool RequiresCredential = true)
{
    public ModelDescriptor? FindModel(string id) =>
        Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The size a request gets, as pixels and as the provider-native parameter, and how it was reached.</summary>
/// <param name="Parameter">Name and value of the provider parameter that carries the size, if the provider takes one.</param>
/// <param name="Adjustment">Why the size differs from what was asked, or null when it is what was asked.</param>
public sealed record SizeChoice(int Width, int Height, KeyValuePair<string, string>? Parameter, string? Adjustment);

/// <summary>How a model takes its output size. Each kind translates WIDTHxHEIGHT to what the provider accepts.</summary>
public abstract record SizeSpec
{
    /// <summary>Sides outside this are refused whatever the model, rather than mapped to something far from what was asked.</summary>
    public const int AbsoluteMinSide = 64;
    public const int AbsoluteMaxSide = 8192;

    /// <summary>The size to use, or null when the request is outside what the model can make at all.</summary>
    public abstract SizeChoice? Choose(int width, int height);

    /// <summary>A sentence naming what the model accepts, for error messages.</summary>
    public abstract string Describe();

    /// <summary>The sizes a client may send, for the model's JSON Schema: an enum, or null for a free range.</summary>
    public abstract IReadOnlyList<string>? Enumerate();

    protected static double Ratio(int width, int height) => (double)width / height;

    protected static double RatioDistance(double a, double b) => Math.Abs(Math.Log(a / b));
}

/// <summary>Any size within bounds, rounded to a multiple (Stable Diffusion wants multiples of 8 or 64).</summary>
public sealed record SizeRange(int MinWidth, int MaxWidth, int MinHeight, int MaxHeight, int Multiple = 1, string? Parameter = null, char Separator = 'x') : SizeSpec
{
    public override SizeChoice? Choose(int width, int height)
    {
        if (width < MinWidth || width > MaxWidth || height < MinHeight || height > MaxHeight)
        {
            return null;
        }

        var w = Math.Clamp((int)Math.Round(width / (double)Multiple) * Multiple, MinWidth, MaxWidth);
        var h = Math.Clamp((int)Math.Round(height / (double)Multiple) * Multiple, MinHeight, MaxHeight);
        var adjustment = (w, h) == (width, height) ? null : $"rounded to {w}x{h}: sides must be multiples of {Multiple}";
        KeyValuePair<string, string>? parameter = Parameter is null ? null : new(Parameter, string.Create(CultureInfo.InvariantCulture, $"{w}{Separator}{h}"));
        return new SizeChoice(w, h, parameter, adjustment);
    }

    public override string Describe() =>
        $"width {MinWidth}-{MaxWidth} and height {MinHeight}-{MaxHeight} pixels" + (Multiple > 1 ? $", multiples of {Multiple}" : string.Empty);

    public override IReadOnlyList<string>? Enumerate() => null;
}

/// <summary>A fixed list of sizes ("1024x1024", "1536x1024", …): the nearest in shape, then in area, is used.</summary>
public sealed record SizeList(IReadOnlyList<string> Sizes, string Parameter = "size", char Separator = 'x') : SizeSpec
{
    public override SizeChoice? Choose(int width, int height)
    {
        var best = Sizes.Select(Parse)
            .OrderBy(s => RatioDistance(Ratio(s.W, s.H), Ratio(width, height)))
            .ThenBy(s => Math.Abs(Math.Log((double)s.W * s.H / ((double)width * height))))
            .First();
        var adjustment = (best.W, best.H) == (width, height) ? null : $"adjusted to {best.W}x{best.H}, the nearest size the model makes";
        return new SizeChoice(best.W, best.H, new(Parameter, $"{best.W}{Separator}{best.H}"), adjustment);
    }

    public override string Describe() => $"one of {string.Join(", ", Sizes)}";

    public override IReadOnlyList<string>? Enumerate() => Sizes;

    private static (int W, int H) Parse(string size)
    {
        var parts = size.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}

/// <summary>Named sizes (fal's <c>portrait_4_3</c>, Ark's <c>2K</c>): the nearest in shape, then in area, is used.</summary>
public sealed record SizePreset(string Name, int Width, int Height);

public sealed record SizePresets(IReadOnlyList<SizePreset> Presets, string Parameter) : SizeSpec
{
    public override SizeChoice? Choose(int width, int height)
    {
        var best = Presets
            .OrderBy(p => RatioDistance(Ratio(p.Width, p.Height), Ratio(width, height)))
            .ThenBy(p => Math.Abs(Math.Log((double)p.Width * p.Height / ((double)width * height))))
            .First();
        var adjustment = (best.Width, best.Height) == (width, height) ? null : $"adjusted to {best.Name} ({best.Width}x{best.Height}), the nearest size the model makes";
        return new SizeChoice(best.Width, best.Height, new(Parameter, best.Name), adjustment);
    }

    public override string Describe() => $"one of {string.Join(", ", Presets.Select(p => $"{p.Width}x{p.Height}"))}";

    public override IReadOnlyList<string>? Enumerate() => Presets.Select(p => $"{p.Width}x{p.Height}").ToList();
}

/// <summary>
/// Aspect ratios ("16:9"): the nearest ratio is sent; the provider decides the pixel count, about
/// <paramref name="ReferenceArea"/> pixels.
/// </summary>
public sealed record AspectRatioList(IReadOnlyList<string> Ratios, int ReferenceArea, string Parameter = "aspect_ratio") : SizeSpec
{
    public override SizeChoice? Choose(int width, int height)
    {
        var asked = Ratio(width, height);
        var best = Ratios.Select(r => (Name: r, Value: ParseRatio(r))).OrderBy(r => RatioDistance(r.Value, asked)).First();
        var w = (int)(Math.Round(Math.Sqrt(ReferenceArea * best.Value) / 64) * 64);
        var h = (int)(Math.Round(Math.Sqrt(ReferenceArea / best.Value) / 64) * 64);
        // Providers' native sizes round the ratio a little (832x1216 for 2:3, 1344x768 for 16:9).
        var sameShape = RatioDistance(best.Value, asked) < 0.03;
        var sameArea = Math.Abs(Math.Log((double)w * h / ((double)width * height))) < 0.1;
        var adjustment = (sameShape, sameArea) switch
        {
            (true, true) => null,
            (true, false) => $"sent as aspect ratio {best.Name}; the model decides the pixel count (about {w}x{h})",
            _ => $"sent as aspect ratio {best.Name}, the nearest the model makes (about {w}x{h})",
        };
        return new SizeChoice(w, h, new(Parameter, best.Name), adjustment);
    }

    public override string Describe() => $"aspect ratios {string.Join(", ", Ratios)}";

    public override IReadOnlyList<string>? Enumerate() =>
        Ratios.Select(r => Choose((int)(ParseRatio(r) * 1000), 1000)!).Select(c => $"{c.Width}x{c.Height}").ToList();

    private static double ParseRatio(string ratio)
    {
        var parts = ratio.Split(':');
        return double.Parse(parts[0], CultureInfo.InvariantCulture) / double.Parse(parts[1], CultureInfo.InvariantCulture);
    }
}
