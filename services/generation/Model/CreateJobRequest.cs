namespace ImageGen.Generation.Model;

/// <summary>Body of <c>POST /v1/jobs</c>, as the client sent it. Everything but the prompt is optional.</summary>
/// <param name="Strict">Refuse the job instead of adjusting a parameter the model cannot honour as asked.</param>
/// <param name="InputImages">Images to edit or start from: https URLs or data URIs (PNG, JPEG or WebP).</param>
/// <param name="Providers">
/// A fallback chain instead of one provider: entries like <c>provider</c> or <c>provider/model</c>, tried in order when one
/// fails in a way another might not. <c>Provider</c> "auto" builds the chain from every capable provider, cheapest first.
/// </param>
/// <param name="CallbackUrl">Where to POST the job, signed, when it ends.</param>
/// <param name="DeadlineSeconds">How long the job may take in all (retries and fallbacks included) before it fails with timeout.</param>
public sealed record CreateJobRequest(
    string? Prompt,
    string? NegativePrompt = null,
    string? Provider = null,
    string? Model = null,
    string? Size = null,
    int? N = null,
    long? Seed = null,
    string? OutputFormat = null,
    Dictionary<string, string>? Metadata = null,
    bool? Strict = null,
    List<string>? InputImages = null,
    List<string>? Providers = null,
    int? DeadlineSeconds = null,
    string? CallbackUrl = null);
