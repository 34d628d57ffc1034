namespace ImageGen.Providers.Adapters;

/// <summary>
/// What to generate, already checked for shape (known output format) but not for what a particular
/// provider supports: sizes, counts and models differ per provider, so each adapter validates those.
/// </summary>
/// <param name="JobId">The job this attempt belongs to; providers that accept idempotency keys can derive one from it and <paramref name="Attempt"/>.</param>
/// <param name="Model">The model the caller asked for; empty means the provider's default.</param>
public sealed record ProviderRequest(
    Guid JobId,
    int Attempt,
    string Model,
    string Prompt,
    string? NegativePrompt,
    int Width,
    int Height,
    int Count,
    long Seed,
    ImageOutputFormat OutputFormat);
