using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace ImageGen.ServiceDefaults.Security;

/// <summary>
/// Seals a caller's own provider key (bring-your-own-key) so it can travel from the orchestrator to
/// the provider's worker through the outbox and the broker without ever being readable there.
/// AES-256-GCM with a key shared by both (<c>Credentials:SealingKey</c>, base64 of 32 bytes); the job id
/// and provider are bound in as associated data, so a sealed key cannot be replayed on another job.
/// </summary>
public sealed class CredentialSealer
{
    public const string ConfigurationKey = "Credentials:SealingKey";
    private const string Prefix = "v1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[]? _key;

    public CredentialSealer(IConfiguration configuration)
        : this(configuration[ConfigurationKey])
    {
    }

    public CredentialSealer(string? base64Key)
    {
        if (string.IsNullOrWhiteSpace(base64Key))
        {
            return;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{ConfigurationKey} must be base64 of 32 random bytes.");
        }

        if (key.Length != 32)
        {
            throw new InvalidOperationException($"{ConfigurationKey} must be base64 of 32 random bytes (it has {key.Length}).");
        }

        _key = key;
    }

    /// <summary>False when no sealing key is configured: per-request keys are then refused, not sent in clear.</summary>
    public bool IsEnabled => _key is not null;

    public string Seal(string secret, Guid jobId, string provider)
    {
        var key = _key ?? throw new InvalidOperationException($"Per-request provider keys need {ConfigurationKey}.");
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), AssociatedData(jobId, provider));
        CryptographicOperations.ZeroMemory(plaintext);
        return Prefix + Base64Url.EncodeToString(sealedBytes);
    }

    /// <summary>Opens a sealed key. Throws <see cref="CryptographicException"/> if it was altered or sealed for another job.</summary>
    public string Unseal(string sealedValue, Guid jobId, string provider)
    {
        var key = _key ?? throw new CryptographicException($"This service cannot open per-request keys: {ConfigurationKey} is not set.");
        if (!sealedValue.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("The sealed credential has an unknown format.");
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(sealedValue.AsSpan(Prefix.Length));
        }
        catch (FormatException ex)
        {
            throw new CryptographicException("The sealed credential is not valid base64url.", ex);
        }

        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The sealed credential is truncated.");
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), plaintext, AssociatedData(jobId, provider));
        return Encoding.UTF8.GetString(plaintext);
    }

    private static byte[] AssociatedData(Guid jobId, string provider) => Encoding.UTF8.GetBytes($"{jobId:N}:{provider}");
}
