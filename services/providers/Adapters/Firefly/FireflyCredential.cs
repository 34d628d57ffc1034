namespace ImageGen.Providers.Adapters.Firefly;

/// <summary>
/// The two halves of an Adobe OAuth server-to-server credential, taken from the one secret string the worker has
/// for a job (its <c>Providers:firefly:ApiKey</c>, or the caller's own key):
/// <list type="bullet">
/// <item><c>client_id:client_secret</c>: both halves in one string (the form a per-request key takes);</item>
/// <item>a bare client secret: the client id then comes from <c>Providers:firefly:Options:ClientId</c>.</item>
/// </list>
/// Adobe client ids are hexadecimal and client secrets never contain ':', so the first ':' separates them.
/// </summary>
public sealed class FireflyCredential
{
    private FireflyCredential(string clientId, string clientSecret)
    {
        ClientId = clientId;
        ClientSecret = clientSecret;
    }

    /// <summary>Sent as <c>x-api-key</c> and to IMS; not a secret, but kept out of messages all the same.</summary>
    public string ClientId { get; }

    /// <summary>Sent to IMS only, in the form body; never logged or put in a message.</summary>
    public string ClientSecret { get; }

    /// <summary>Splits <paramref name="credential"/>; an <c>authentication</c> failure naming what to configure when it cannot be used.</summary>
    public static FireflyCredential Parse(string credential, string? configuredClientId)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var text = credential.Trim();
        var colon = text.IndexOf(':');
        if (colon >= 0)
        {
            var id = text[..colon].Trim();
            var secret = text[(colon + 1)..].Trim();
            return id.Length > 0 && secret.Length > 0
                ? new FireflyCredential(id, secret)
                : throw ProviderException.Authentication(
                    "The Adobe Firefly key has a ':' but not both halves around it: give it as client_id:client_secret.");
        }

        if (string.IsNullOrWhiteSpace(configuredClientId))
        {
            throw ProviderException.Authentication(
                $"The Adobe Firefly key is a client secret without its client id: set {ProviderSettings.SectionFor(FireflyAdapter.Id)}:Options:{FireflyAdapter.ClientIdOption}, " +
                "or give the key as client_id:client_secret.");
        }

        return new FireflyCredential(configuredClientId.Trim(), text);
    }

    // Whatever prints this object (a debugger, a careless log line) must not print the secret.
    public override string ToString() => $"FireflyCredential {{ ClientId = {ClientId}, ClientSecret = {ProviderMessage.Redacted} }}";
}
