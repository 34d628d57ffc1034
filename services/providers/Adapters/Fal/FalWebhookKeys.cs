using System.Buffers.Text;
using System.Globalization;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace ImageGen.Providers.Adapters.Fal;

/// <summary>
/// The Ed25519 public keys fal signs its webhooks with, from its JSON Web Key Set
/// (<c>Providers:fal:Options:JwksUrl</c>, default <see cref="DefaultJwksUrl"/>): fetched over HTTP on first use and
/// kept for <c>Options:JwksCacheDuration</c> (default 12 hours; fal allows up to 24). A signature none of the cached
/// keys verifies makes one refetch (fal may have rotated its keys), at most once per <c>Options:JwksRefreshInterval</c>
/// (default 1 minute), so forged webhooks cannot make the worker hammer fal's key set.
/// </summary>
/// <remarks>
/// Ed25519 comes from BouncyCastle: System.Security.Cryptography has no Ed25519 in .NET 10. fal's deliveries name no
/// key id, so a signature is tried against every key of the set.
/// </remarks>
public sealed partial class FalWebhookKeys(
    IHttpClientFactory http, IOptionsMonitor<ProviderSettings> settings, TimeProvider time, ILogger<FalWebhookKeys> logger) : IDisposable
{
    public const string HttpClientName = "fal-jwks";
    public const string JwksUrlOption = "JwksUrl";
    public const string CacheDurationOption = "JwksCacheDuration";
    public const string RefreshIntervalOption = "JwksRefreshInterval";
    public const int PublicKeyBytes = 32;
    public const int SignatureBytes = 64;

    public static readonly Uri DefaultJwksUrl = new("https://rest.fal.ai/.well-known/jwks.json");
    public static readonly TimeSpan DefaultCacheDuration = TimeSpan.FromHours(12);
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromMinutes(1);

    private const string What = "fal's webhook key set";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private KeySet? _current;
    private long _lastFetchAttemptTicks = DateTimeOffset.MinValue.UtcTicks;

    /// <summary>
    /// True when one of fal's keys made <paramref name="signature"/> over <paramref name="message"/>. Throws a
    /// <see cref="ProviderException"/> when there is no key set to check against (fal's key set cannot be fetched).
    /// </summary>
    public async Task<bool> VerifyAsync(ReadOnlyMemory<byte> message, byte[] signature, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var keys = await GetAsync(stale: null, cancellationToken);
        if (Verify(keys, message.Span, signature))
        {
            return true;
        }

        if (time.GetUtcNow().UtcTicks - Volatile.Read(ref _lastFetchAttemptTicks) < Setting(RefreshIntervalOption, DefaultRefreshInterval).Ticks)
        {
            return false;
        }

        var fresh = await GetAsync(stale: keys, cancellationToken);
        return !ReferenceEquals(fresh, keys) && Verify(fresh, message.Span, signature);
    }

    public void Dispose() => _gate.Dispose();

    private static bool Verify(KeySet keys, ReadOnlySpan<byte> message, byte[] signature)
    {
        foreach (var key in keys.Keys)
        {
            var verifier = new Ed25519Signer();
            verifier.Init(forSigning: false, key);
            verifier.BlockUpdate(message);
            if (verifier.VerifySignature(signature))
            {
                return true;
            }
        }

        return false;
    }

    /// <param name="stale">The set that failed to verify, to be replaced; null to take the cached set while it is fresh.</param>
    private async Task<KeySet> GetAsync(KeySet? stale, CancellationToken cancellationToken)
    {
        var url = JwksUrl();
        var cacheFor = Setting(CacheDurationOption, DefaultCacheDuration);
        bool Fresh(KeySet? set) => set is not null && set.Url == url && time.GetUtcNow() - set.FetchedAt < cacheFor;

        var current = Volatile.Read(ref _current);
        if (stale is null && Fresh(current))
        {
            return current!;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            current = _current;
            // Someone else fetched while this call waited.
            if (Fresh(current) && !ReferenceEquals(current, stale))
            {
                return current!;
            }

            Volatile.Write(ref _lastFetchAttemptTicks, time.GetUtcNow().UtcTicks);
            try
            {
                var fetched = await FetchAsync(url, cancellationToken);
                Volatile.Write(ref _current, fetched);
                LogFetched(fetched.Keys.Count, Origin(url));
                return fetched;
            }
            catch (ProviderException ex) when (current is not null && current.Url == url)
            {
                // Keys that verified yesterday still verify most webhooks; a failed refresh is not a reason to reject them.
                LogRefreshFailed(Origin(url), ex.Message);
                return current;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<KeySet> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        var client = http.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await client.SendToProviderAsync(request, What, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw ProviderException.ProviderUnavailable($"{What} at {Origin(url)} answered HTTP {(int)response.StatusCode}; webhooks cannot be checked until it answers.");
        }

        var jwks = await response.ReadJsonAsync<Jwks>(What, cancellationToken);
        var keys = new List<Ed25519PublicKeyParameters>();
        foreach (var key in jwks.Keys ?? [])
        {
            if (key.Kty != "OKP" || key.Crv != "Ed25519" || string.IsNullOrEmpty(key.X))
            {
                continue;
            }

            try
            {
                var bytes = Base64Url.DecodeFromChars(key.X);
                if (bytes.Length == PublicKeyBytes)
                {
                    keys.Add(new Ed25519PublicKeyParameters(bytes));
                }
            }
            catch (FormatException)
            {
                // One malformed entry does not spoil the others.
            }
        }

        return keys.Count == 0
            ? throw ProviderException.ProviderUnavailable($"{What} at {Origin(url)} holds no Ed25519 key; webhooks cannot be checked.")
            : new KeySet(url, keys, time.GetUtcNow());
    }

    private Uri JwksUrl()
    {
        var configured = settings.Get(FalAdapter.Id).Option(JwksUrlOption);
        if (configured is null)
        {
            return DefaultJwksUrl;
        }

        return Uri.TryCreate(configured, UriKind.Absolute, out var url) && url.Scheme is "https" or "http"
            ? url
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(FalAdapter.Id)}:Options:{JwksUrlOption} is '{configured}'; set an absolute https URL.");
    }

    private TimeSpan Setting(string name, TimeSpan fallback)
    {
        var value = settings.Get(FalAdapter.Id).Option(name);
        return value is null ? fallback
            : TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(FalAdapter.Id)}:Options:{name} is '{value}'; set a time span such as 01:00:00.");
    }

    private static string Origin(Uri url) => $"{url.Scheme}://{url.Authority}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {Count} webhook signing keys of fal from {Origin}")]
    private partial void LogFetched(int count, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing fal's webhook signing keys from {Origin} failed ({Reason}); the cached keys stay in use")]
    private partial void LogRefreshFailed(string origin, string reason);

    private sealed record KeySet(Uri Url, IReadOnlyList<Ed25519PublicKeyParameters> Keys, DateTimeOffset FetchedAt);

    private sealed record Jwks(List<Jwk>? Keys);

    private sealed record Jwk(string? Kty, string? Crv, string? X, string? Kid);
}
