using ImageGen.Contracts;

namespace ImageGen.Providers.Adapters;

/// <summary>
/// A provider failure in the unified vocabulary: <see cref="Code"/> is one of <see cref="ErrorCodes"/>,
/// the message is safe to show the person who asked for the image (no keys, no raw provider payloads),
/// and <see cref="Retryable"/> tells the orchestrator whether another attempt (here or at a fallback
/// provider) can succeed.
/// </summary>
/// <remarks>
/// Use the factory per code rather than the constructor: they fix whether the code is retryable, so
/// every adapter answers the orchestrator the same way. Only <c>rate_limited</c>, <c>provider_unavailable</c>
/// and <c>timeout</c> are retryable by default.
/// </remarks>
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

    /// <summary>How long the provider asked to be left alone (a 429's <c>Retry-After</c>), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>What the provider charged for the failed call (some charge for refused or canceled work), when known.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>The request can never succeed as asked; retrying it anywhere is pointless.</summary>
    public static ProviderException InvalidRequest(string message, Exception? innerException = null) =>
        new(ErrorCodes.InvalidRequest, message, retryable: false, innerException);

    /// <summary>The provider refused the prompt, an input image or its own output on content grounds.</summary>
    public static ProviderException ContentPolicy(string message, decimal? costUsd = null, Exception? innerException = null) =>
        new(ErrorCodes.ContentPolicy, message, retryable: false, innerException) { CostUsd = costUsd };

    /// <summary>The key is missing, wrong, revoked or not allowed to use this model or region.</summary>
    public static ProviderException Authentication(string message, Exception? innerException = null) =>
        new(ErrorCodes.Authentication, message, retryable: false, innerException);

    /// <summary>The account is out of credit or quota; retrying before someone pays is pointless.</summary>
    public static ProviderException InsufficientCredit(string message, Exception? innerException = null) =>
        new(ErrorCodes.InsufficientCredit, message, retryable: false, innerException);

    /// <summary>The provider throttled the call; <paramref name="retryAfter"/> is its own estimate of the wait, if it gave one.</summary>
    public static ProviderException RateLimited(string message, TimeSpan? retryAfter = null, Exception? innerException = null) =>
        new(ErrorCodes.RateLimited, message, retryable: true, innerException) { RetryAfter = retryAfter };

    /// <summary>The provider is down, overloaded or answered nonsense; another attempt (or provider) may succeed.</summary>
    public static ProviderException ProviderUnavailable(string message, TimeSpan? retryAfter = null, Exception? innerException = null) =>
        new(ErrorCodes.ProviderUnavailable, message, retryable: true, innerException) { RetryAfter = retryAfter };

    /// <summary>The provider did not answer in time; the work may still have been done (and charged).</summary>
    public static ProviderException Timeout(string message, Exception? innerException = null) =>
        new(ErrorCodes.Timeout, message, retryable: true, innerException);

    /// <summary>Something on this side went wrong, or the provider's answer could not be used.</summary>
    public static ProviderException Internal(string message, bool retryable = false, Exception? innerException = null) =>
        new(ErrorCodes.Internal, message, retryable, innerException);
}
