namespace ImageGen.Providers.Adapters.OpenAi;

/// <summary>
/// What an OpenAI call cost, where that can be known exactly: GPT Image bills tokens and reports them in
/// <c>usage</c>; DALL·E 3 bills a fixed price per image by size and quality. Anything else (a model without
/// rates here, an answer without usage) gives null, and the job keeps the catalog's estimate.
/// Prices as of 2026-11: https://developers.openai.com/api/docs/models/gpt-image-1 and https://platform.openai.com/docs/pricing.
/// </summary>
public static class OpenAiPricing
{
    private const decimal PerMillion = 1_000_000m;

    /// <summary>USD per 1M tokens: text input, image input, image output.</summary>
    private static readonly Dictionary<string, (decimal TextInput, decimal ImageInput, decimal Output)> TokenRates =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["gpt-image-1"] = (5.00m, 10.00m, 40.00m),
        };

    private static readonly Dictionary<(string Quality, string Size), decimal> DallE3PerImage = new()
    {
        [("standard", "1024x1024")] = 0.04m,
        [("standard", "1792x1024")] = 0.08m,
        [("standard", "1024x1792")] = 0.08m,
        [("hd", "1024x1024")] = 0.08m,
        [("hd", "1792x1024")] = 0.12m,
        [("hd", "1024x1792")] = 0.12m,
    };

    /// <summary>
    /// The cost of a GPT Image call from its reported token usage, or null. Without a split of the input tokens,
    /// they are all text when no image was sent; with images sent the split is unknown, so no figure is given.
    /// </summary>
    public static decimal? FromUsage(string model, OpenAiUsage? usage, bool sentImages)
    {
        if (usage?.OutputTokens is not { } output || usage.InputTokens is not { } input || !TokenRates.TryGetValue(model, out var rates))
        {
            return null;
        }

        int text, image;
        if (usage.InputTokensDetails is { TextTokens: { } t, ImageTokens: var i })
        {
            (text, image) = (t, i ?? 0);
        }
        else if (!sentImages)
        {
            (text, image) = (input, 0);
        }
        else
        {
            return null;
        }

        return Math.Round((text * rates.TextInput + image * rates.ImageInput + output * rates.Output) / PerMillion, 6);
    }

    /// <summary>The price of one DALL·E 3 image of <paramref name="size"/> at <paramref name="quality"/>, or null for a combination not priced here.</summary>
    public static decimal? DallE3Image(string? quality, string? size) =>
        DallE3PerImage.TryGetValue(((quality ?? "standard").ToLowerInvariant(), size ?? "1024x1024"), out var price) ? price : null;
}

/// <summary>GPT Image's <c>usage</c>: tokens in (text and image) and out.</summary>
public sealed record OpenAiUsage(int? InputTokens, int? OutputTokens, int? TotalTokens, OpenAiInputTokens? InputTokensDetails);

public sealed record OpenAiInputTokens(int? TextTokens, int? ImageTokens);
