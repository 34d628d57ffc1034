using ImageGen.Contracts;

namespace ImageGen.Providers.Adapters;

/// <summary>
/// A provider failure in the unified vocabulary: <see cref="Code"/> is one of <see cref="ErrorCodes"/>,
/// the message is safe to show the person who asked for the image (no keys, no raw provider payloads),
/// and <see cref="Retryable"/> tells the orchestrator whether another attempt (here or at a fallback
/// provider) can succeed.
/// </summary>
public sealed class ProviderException : Exception
{
    public ProviderException(string code, string message, bool retryable, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        Code = code;
        Retryable = retryable;
    }

    public string Code { get; }

    public bool Retryable { get; }

    /// <summary>The request can never succeed as asked; retrying it anywhere is pointless.</summary>
    public static ProviderException InvalidRequest(string message) => new(ErrorCodes.InvalidRequest, message, retryable: false);
}
