using System.Security.Cryptography;
using System.Text;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Replicate;

/// <summary>
/// The keys Replicate signs webhooks with. <c>Providers:replicate:Options:WebhookSecret</c> when it is set (one
/// <c>whsec_…</c> secret, or several separated by spaces or commas while one is being replaced); otherwise the
/// account's secret, fetched once with the worker's own key from <c>GET webhooks/default/secret</c> and kept in memory
/// (never logged, never stored), fetched again only when the key changes or a signature fails to match and the kept
/// secret is more than <see cref="RefetchAfter"/> old (Replicate can rotate it).
/// </summary>
internal sealed class ReplicateWebhookKeys(IHttpClientFactory http, IOptionsMonitor<ProviderSettings> settings, TimeProvider time)
{
    public const string SecretPrefix = "whsec_";

    /// <summary>How old a fetched secret must be before a failed signature makes it fetched again (bad webhooks must not flood Replicate).</summary>
    public static readonly TimeSpan RefetchAfter = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _fetching = new(1, 1);
    private Fetched? _fetched;

    /// <summary>The keys to check against, and whether they came from Replicate (and may be fetched again) rather than from configuration.</summary>
    public async Task<(IReadOnlyList<byte[]> Keys, bool FromReplicate)> GetAsync(bool refresh, CancellationToken cancellationToken)
    {
        var configured = settings.Get(ReplicateAdapter.Id);
        if (configured.Option(ReplicateAdapter.WebhookSecretOption) is { } secrets)
        {
            var keys = secrets.Split([' ', ',', ';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => Decode(s) ?? throw ProviderException.Internal(
                    $"{ProviderSettings.SectionFor(ReplicateAdapter.Id)}:Options:{ReplicateAdapter.WebhookSecretOption} holds a value that is not a " +
                    $"Replicate signing secret ({SecretPrefix} followed by base64); copy it from GET /v1/webhooks/default/secret."))
                .ToList();
            return (keys, false);
        }

        if (configured.ApiKey is not { Length: > 0 } apiKey)
        {
            throw new WebhookRejectedException(
                $"No signing secret to check Replicate's webhook against: set {ProviderSettings.SectionFor(ReplicateAdapter.Id)}:Options:{ReplicateAdapter.WebhookSecretOption} " +
                $"or {ProviderSettings.ApiKeyConfigurationKey(ReplicateAdapter.Id)}.");
        }

        var fingerprint = Fingerprint(apiKey);
        var seen = Volatile.Read(ref _fetched);
        if (seen is not null && seen.KeyFingerprint == fingerprint && (!refresh || time.GetUtcNow() - seen.At < RefetchAfter))
        {
            return ([seen.Key], true);
        }

        await _fetching.WaitAsync(cancellationToken);
        try
        {
            // Another caller fetched it while this one waited.
            if (_fetched is { } current && current.KeyFingerprint == fingerprint && !ReferenceEquals(current, seen))
            {
                return ([current.Key], true);
            }

            var key = await FetchAsync(apiKey, cancellationToken);
            Volatile.Write(ref _fetched, new Fetched(fingerprint, key, time.GetUtcNow()));
            return ([key], true);
        }
        finally
        {
            _fetching.Release();
        }
    }

    /// <summary>The HMAC key of a <c>whsec_…</c> secret, or null when it is not one.</summary>
    public static byte[]? Decode(string secret)
    {
        var text = secret.Trim();
        if (text.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            text = text[SecretPrefix.Length..];
        }

        var buffer = new byte[text.Length];
        return text.Length > 0 && Convert.TryFromBase64String(text, buffer, out var written) && written >= 16 ? buffer[..written] : null;
    }

    private async Task<byte[]> FetchAsync(string apiKey, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, "webhooks/default/secret").WithBearer(apiKey);
        using var response = await http.CreateClient(ReplicateAdapter.Id).SendToProviderAsync(message, ReplicateAdapter.Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
            throw ProviderErrorMapper.Map(ReplicateAdapter.Name, error.StatusCode,
                $"fetching the webhook signing secret failed: {ProviderMessage.Redact(error.Message, apiKey)}", error.RetryAfter);
        }

        var answer = await response.ReadJsonAsync<SecretAnswer>(ReplicateAdapter.Name, cancellationToken);
        return answer.Key is { } secret && Decode(secret) is { } key
            ? key
            : throw ProviderException.ProviderUnavailable($"{ReplicateAdapter.Name} answered the webhook secret request without a {SecretPrefix} secret.");
    }

    // Only to notice that the configured key changed; the key itself is not kept here.
    private static string Fingerprint(string apiKey) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    private sealed record Fetched(string KeyFingerprint, byte[] Key, DateTimeOffset At);

    private sealed record SecretAnswer(string? Key);
}
