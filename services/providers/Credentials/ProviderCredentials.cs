using System.Security.Cryptography;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Credentials;

/// <summary>
/// Decides which secret an attempt is made with: the caller's own key sealed into the command (bring
/// your own key) first, else the worker's configured <c>Providers:{id}:ApiKey</c>. Secrets leave this
/// class only as the return value; they are never logged, and failure messages never contain them.
/// </summary>
public sealed class ProviderCredentials(CredentialSealer sealer, IOptionsMonitor<ProviderSettings> settings)
{
    /// <summary>
    /// The secret for <paramref name="command"/>, or null when the adapter needs none and none is configured.
    /// Throws an <c>authentication</c> <see cref="ProviderException"/> when a sealed key cannot be opened or a
    /// required key is missing.
    /// </summary>
    public string? Resolve(GenerateImage command, IImageProviderAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Resolve(command.SealedCredential, command.JobId, command.Provider, adapter);
    }

    /// <summary>
    /// The same decision from the parts of a command kept between polls of an asynchronous provider: the
    /// sealed key as it came (never the opened one), the job and the provider it is bound to.
    /// </summary>
    public string? Resolve(string? sealedCredential, Guid jobId, string provider, IImageProviderAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (!string.IsNullOrEmpty(sealedCredential))
        {
            try
            {
                // Bound to this job and provider: a key sealed for another job does not open here.
                return sealer.Unseal(sealedCredential, jobId, provider);
            }
            catch (CryptographicException)
            {
                // The exception's own text is not passed on: it is about this worker's configuration, not the caller's key.
                throw ProviderException.Authentication(sealer.IsEnabled
                    ? "The per-request provider key could not be opened: it was altered, sealed for another job or provider, or sealed with a different Credentials:SealingKey than this worker's."
                    : $"The per-request provider key could not be opened: this worker has no {CredentialSealer.ConfigurationKey}.");
            }
        }

        var configured = settings.Get(adapter.ProviderId);
        if (configured.HasApiKey)
        {
            return configured.ApiKey!.Trim();
        }

        if (adapter.RequiresCredential)
        {
            var key = ProviderSettings.ApiKeyConfigurationKey(adapter.ProviderId);
            throw ProviderException.Authentication(
                $"No API key for the provider '{adapter.ProviderId}': set {key} (environment variable {key.Replace(":", "__", StringComparison.Ordinal)}) on its worker, or send a per-request key.");
        }

        return null;
    }

    /// <summary>Whether the worker can call the provider without a per-request key.</summary>
    public bool CanAuthenticate(IImageProviderAdapter adapter) =>
        !adapter.RequiresCredential || settings.Get(adapter.ProviderId).HasApiKey;

    /// <summary>Whether per-request keys can be opened here at all.</summary>
    public bool AcceptsPerRequestKeys => sealer.IsEnabled;
}
