using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Adapters.Firefly;

/// <summary>
/// Adobe IMS access tokens for the OAuth server-to-server (client credentials) flow: <c>POST {ImsUrl}</c> with
/// <c>grant_type=client_credentials</c>, <c>client_id</c>, <c>client_secret</c> and <c>scope</c> as a form, answered
/// with <c>{access_token, token_type, expires_in}</c> (24 hours). Source:
/// https://developer.adobe.com/firefly-services/docs/firefly-api/getting-started.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>One token per IMS URL, client id, client secret and scope set, kept until <see cref="RefreshMargin"/> before it
/// expires (half its lifetime for short-lived tokens), so a worker asks IMS about once a day, not once per job.</item>
/// <item>The secret is part of the key (as a SHA-256 hash): a per-request key naming a configured client id with another
/// secret never borrows the configured client's token; IMS judges it on its own.</item>
/// <item>Callers asking at once for the same credential share one IMS call.</item>
/// <item>A token Firefly refuses (401) is dropped with <see cref="Invalidate"/>, and the next ask fetches a new one.</item>
/// <item>Entries of keys no longer used are swept once they expire, so per-request keys cannot grow the cache without bound.</item>
/// </list>
/// </remarks>
public sealed class ImsTokenCache(IHttpClientFactory http, TimeProvider time)
{
    public const string Name = "Adobe IMS";

    /// <summary>How long before its expiry a token is replaced, so none expires between being handed out and being used.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private const int SweepAbove = 256;

    private readonly ConcurrentDictionary<TokenKey, Slot> _slots = new();

    /// <summary>A valid access token for <paramref name="credential"/>: the cached one, or a new one from IMS.</summary>
    public async Task<string> GetTokenAsync(Uri imsUrl, FireflyCredential credential, string scopes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(imsUrl);
        ArgumentNullException.ThrowIfNull(credential);
        var key = TokenKey.For(imsUrl, credential, scopes);
        var slot = _slots.GetOrAdd(key, _ => new Slot());
        if (slot.Current is { } cached && cached.FreshAt(time.GetUtcNow()))
        {
            return cached.Value;
        }

        await slot.Gate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have fetched one while this one waited.
            if (slot.Current is { } fetched && fetched.FreshAt(time.GetUtcNow()))
            {
                return fetched.Value;
            }

            var token = await FetchAsync(imsUrl, credential, scopes, cancellationToken);
            slot.Current = token;
            Sweep();
            return token.Value;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>Drops <paramref name="token"/> if it is still the one cached for the credential (not one a concurrent caller already replaced it with).</summary>
    public void Invalidate(Uri imsUrl, FireflyCredential credential, string scopes, string token)
    {
        if (_slots.TryGetValue(TokenKey.For(imsUrl, credential, scopes), out var slot) && slot.Current?.Value == token)
        {
            slot.Current = null;
        }
    }

    private async Task<AccessToken> FetchAsync(Uri imsUrl, FireflyCredential credential, string scopes, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, imsUrl)
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "client_credentials"),
                new("client_id", credential.ClientId),
                new("client_secret", credential.ClientSecret),
                new("scope", scopes),
            ]),
        };

        using var response = await http.CreateClient(FireflyAdapter.Id).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadFailureAsync(response, credential, cancellationToken);
        }

        var answer = await response.ReadJsonAsync<TokenAnswer>(Name, cancellationToken);
        if (string.IsNullOrWhiteSpace(answer.AccessToken))
        {
            throw ProviderException.ProviderUnavailable($"{Name} answered without an access token.");
        }

        // IMS says 86399 s; a missing or nonsensical lifetime is treated as an hour rather than forever.
        var lifetime = answer.ExpiresIn is > 0 and < 31_536_000 ? TimeSpan.FromSeconds(answer.ExpiresIn.Value) : TimeSpan.FromHours(1);
        var margin = lifetime / 2 < RefreshMargin ? lifetime / 2 : RefreshMargin;
        return new AccessToken(answer.AccessToken, time.GetUtcNow() + lifetime - margin);
    }

    /// <summary>
    /// IMS answers a bad credential with <c>{"error":"invalid_client","error_description":"invalid client_secret parameter"}</c>
    /// (400 or 401), a scope the client lacks with <c>invalid_scope</c>.
    /// </summary>
    private static async Task<ProviderException> ReadFailureAsync(HttpResponseMessage response, FireflyCredential credential, CancellationToken cancellationToken)
    {
        var failure = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var (error, description) = ParseError(failure.Body);
        var status = (int)failure.StatusCode;
        // The description is IMS's own text, but it is about the caller's credential: make sure the secret is not in it.
        var said = ProviderMessage.Clean(description ?? (failure.Message.Length > 0 ? failure.Message : null), credential.ClientSecret);
        var context = error is null ? $"HTTP {status}" : $"HTTP {status}, {ProviderMessage.Clean(error)}";
        var text = said.Length == 0 ? $"({context})" : $"({context}): {said}";

        return error switch
        {
            "invalid_scope" => ProviderException.Authentication(
                $"{Name} refused the scopes asked for {text}. Set {ProviderSettings.SectionFor(FireflyAdapter.Id)}:Options:{FireflyAdapter.ScopesOption} to scopes the credential has."),
            "invalid_client" or "unauthorized_client" or "invalid_grant" or "unsupported_grant_type" or "invalid_request" => ProviderException.Authentication(
                $"{Name} refused the Firefly client credentials {text}. Check {ProviderSettings.ApiKeyConfigurationKey(FireflyAdapter.Id)} (the client secret) and " +
                $"Options:{FireflyAdapter.ClientIdOption}, or the client_id:client_secret of a per-request key."),
            _ when status is 400 or 401 or 403 => ProviderException.Authentication(
                $"{Name} refused the Firefly client credentials {text}."),
            _ => ProviderErrorMapper.Map(Name, failure.StatusCode, said, failure.RetryAfter),
        };
    }

    private static (string? Error, string? Description) ParseError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return (Text("error"), Text("error_description") ?? Text("message"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private void Sweep()
    {
        if (_slots.Count <= SweepAbove)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var (key, slot) in _slots)
        {
            // A slot whose gate is taken is being filled right now; it is swept next time.
            if (slot.Current is not { } token || !token.FreshAt(now))
            {
                if (slot.Gate.CurrentCount == 1)
                {
                    _slots.TryRemove(new KeyValuePair<TokenKey, Slot>(key, slot));
                }
            }
        }
    }

    private sealed class Slot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        private volatile AccessToken? _current;

        public AccessToken? Current
        {
            get => _current;
            set => _current = value;
        }
    }

    private sealed record AccessToken(string Value, DateTimeOffset UseUntil)
    {
        public bool FreshAt(DateTimeOffset now) => now < UseUntil;

        // Records print every member; a token is as good as the secret for a day.
        public override string ToString() => $"AccessToken {{ UseUntil = {UseUntil:O} }}";
    }

    private readonly record struct TokenKey(string ImsUrl, string ClientId, string SecretHash, string Scopes)
    {
        public static TokenKey For(Uri imsUrl, FireflyCredential credential, string scopes) =>
            new(imsUrl.AbsoluteUri, credential.ClientId, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(credential.ClientSecret))), scopes);
    }

    private sealed record TokenAnswer(string? AccessToken, string? TokenType, long? ExpiresIn);
}
