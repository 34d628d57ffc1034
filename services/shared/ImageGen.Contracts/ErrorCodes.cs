namespace ImageGen.Contracts;

/// <summary>The one set of error codes every provider's errors map to.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string ContentPolicy = "content_policy";
    public const string Authentication = "authentication";
    public const string InsufficientCredit = "insufficient_credit";
    public const string RateLimited = "rate_limited";
    public const string ProviderUnavailable = "provider_unavailable";
    public const string Timeout = "timeout";
    public const string Internal = "internal";
}
