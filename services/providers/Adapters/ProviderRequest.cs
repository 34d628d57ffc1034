using System.Text;

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
    ImageOutputFormat OutputFormat)
{
    /// <summary>The empty parameter set.</summary>
    public static readonly IReadOnlyDictionary<string, string> NoParameters =
        new Dictionary<string, string>(StringComparer.Ordinal).AsReadOnly();

    /// <summary>
    /// Provider-native parameters the orchestrator already translated from the unified request
    /// (<c>aspect_ratio=2:3</c>, <c>size=1024*1536</c>, <c>quality=high</c>, …). Send them as they are: the
    /// job records exactly these as applied. Never null.
    /// </summary>
    public IReadOnlyDictionary<string, string> Parameters
    {
        get;
        init => field = value ?? NoParameters;
    } = NoParameters;

    /// <summary>
    /// The secret to authenticate this call with: the caller's own key for this job, else the worker's
    /// configured one. Null for providers that need none. Kept in memory only; never log it, put it in
    /// an exception message or send it anywhere but the provider's auth header (not the URL: request
    /// URLs are logged).
    /// </summary>
    public string? Credential { get; init; }

    /// <summary>
    /// Images to edit or start from (https URLs or data URIs), for models that take image input. Fetch
    /// URLs with <c>ResultImageFetcher</c> (it refuses internal addresses) or decode data URIs with
    /// <c>ImageInspector.FromBase64</c>; never hand a caller's URL to an internal network. Never null.
    /// </summary>
    public IReadOnlyList<string> InputImages
    {
        get;
        init => field = value ?? [];
    } = [];

    /// <summary>
    /// Where the provider should report the task's end (<c>{Webhooks:PublicBaseUrl}/v1/webhooks/{provider}</c>), for
    /// adapters that implement <see cref="IWebhookImageProviderAdapter"/>; null when no public address is configured,
    /// and the task is then only polled.
    /// </summary>
    public Uri? WebhookUrl { get; init; }

    /// <summary>What the catalog expects the attempt to cost; adapters whose provider reports the real cost return that instead.</summary>
    public decimal? EstimatedCostUsd { get; init; }

    /// <summary>The credential, or an <c>authentication</c> failure for an adapter that cannot work without one.</summary>
    public string RequireCredential() =>
        Credential is { Length: > 0 } credential
            ? credential
            : throw ProviderException.Authentication("No API key is available for this provider.");

    /// <summary>The parameter's value, or null when the orchestrator did not set it.</summary>
    public string? Parameter(string name) => Parameters.GetValueOrDefault(name);

    // Records print every property; the credential must never reach a log line through ToString.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"JobId = {JobId}, Attempt = {Attempt}, Model = {Model}, Prompt = {Prompt}, NegativePrompt = {NegativePrompt}, ");
        builder.Append($"Width = {Width}, Height = {Height}, Count = {Count}, Seed = {Seed}, OutputFormat = {OutputFormat}, ");
        builder.Append($"Parameters = [{string.Join(", ", Parameters.Select(p => $"{p.Key}={p.Value}"))}], ");
        builder.Append($"InputImages = {InputImages.Count}, WebhookUrl = {WebhookUrl}, Credential = {(Credential is null ? "none" : "[redacted]")}, EstimatedCostUsd = {EstimatedCostUsd}");
        return true;
    }
}
