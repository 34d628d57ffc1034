using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Adapters.OpenAi;

/// <summary>
/// OpenAI's error answers (<c>{"error":{"message","type","param","code"}}</c>) in the unified vocabulary. Its quirks:
/// running out of credit is a 429 like throttling (<c>insufficient_quota</c>) but waiting does not help; a hard
/// billing limit is a 400; content refusals are 400s (<c>moderation_blocked</c> for GPT Image,
/// <c>content_policy_violation</c> for DALL·E); a 403 can mean the caller's country is not served.
/// </summary>
public static partial class OpenAiErrors
{
    public const string InsufficientQuota = "insufficient_quota";
    public const string BillingHardLimitReached = "billing_hard_limit_reached";
    public const string ModerationBlocked = "moderation_blocked";
    public const string ContentPolicyViolation = "content_policy_violation";
    public const string UnsupportedRegion = "unsupported_country_region_territory";

    /// <summary>Reads a failed response and maps it; <paramref name="credential"/> is scrubbed from the message (OpenAI echoes keys).</summary>
    public static async Task<ProviderException> ReadAsync(HttpResponseMessage response, string? credential, CancellationToken cancellationToken)
    {
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var (type, code) = TypeAndCode(error.Body);
        return Map(error.StatusCode, ProviderMessage.Clean(error.Message, credential), type, code ?? error.Code, RetryAfter(response, error));
    }

    /// <summary>The unified failure for an OpenAI error with the given status, message, <c>type</c> and <c>code</c>.</summary>
    public static ProviderException Map(HttpStatusCode status, string message, string? type, string? code, TimeSpan? retryAfter)
    {
        var http = (int)status;
        string Said(string what) => message.Length == 0 ? $"{OpenAiAdapter.Name} {what} (HTTP {http})." : $"{OpenAiAdapter.Name} {what} (HTTP {http}): {message}";

        if (Is(code, InsufficientQuota) || Is(type, InsufficientQuota) || Is(code, BillingHardLimitReached))
        {
            // Arrives as a 429, but it lasts until someone pays: retrying (here or later) only burns attempts.
            return ProviderException.InsufficientCredit(Said("reports that the account has no quota or credit left"));
        }

        if (Is(code, ModerationBlocked) || Is(code, ContentPolicyViolation))
        {
            return ProviderException.ContentPolicy(Said("refused the request on content grounds"));
        }

        if (http == 403 && Is(code, UnsupportedRegion))
        {
            // Not a bad key, but as final: the worker's egress country is not served; only a move (or proxy) helps.
            return ProviderException.Authentication(Said("does not serve the country or region this worker calls from"));
        }

        return ProviderErrorMapper.Map(OpenAiAdapter.Name, status, message, retryAfter);
    }

    /// <summary>
    /// How long OpenAI asked to be left alone: <c>retry-after-ms</c>, then <c>Retry-After</c> (what its SDKs honour),
    /// then the reset time of the exhausted limit (<c>x-ratelimit-reset-requests</c> or <c>-tokens</c>, e.g. <c>1m30s</c>),
    /// then the "try again in 12s" of the message. Null when none says.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, ProviderErrorResponse error)
    {
        var headers = response.Headers;
        if (Header(headers, "retry-after-ms") is { } ms
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis > 0)
        {
            return TimeSpan.FromMilliseconds(millis);
        }

        if (error.RetryAfter is { } retryAfter)
        {
            return retryAfter;
        }

        // The reset of the limit that ran out; when neither says it ran out, the request limit (the usual one for images).
        var tokensExhausted = Header(headers, "x-ratelimit-remaining-tokens") == "0" && Header(headers, "x-ratelimit-remaining-requests") != "0";
        var reset = tokensExhausted ? Header(headers, "x-ratelimit-reset-tokens") : Header(headers, "x-ratelimit-reset-requests");
        if (ParseDuration(reset) is { } wait)
        {
            return wait;
        }

        return TryAgainIn().Match(error.Message) is { Success: true } match ? ParseDuration(match.Groups[1].Value) : null;
    }

    /// <summary>Durations in OpenAI's rate-limit headers: <c>20ms</c>, <c>1s</c>, <c>6m0s</c>, <c>1h2m3.5s</c>. Null when absent, zero or malformed.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || !DurationPattern().IsMatch(text.Trim()))
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Match part in DurationPart().Matches(text.Trim()))
        {
            var value = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromHours(value),
            };
        }

        return total > TimeSpan.Zero ? total : null;
    }

    private static (string? Type, string? Code) TypeAndCode(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return (Text(error, "type"), Text(error, "code"));
            }
        }
        catch (JsonException)
        {
            // Not OpenAI's shape (a proxy's page): the status alone decides.
        }

        return (null, null);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool Is(string? value, string expected) => string.Equals(value, expected, StringComparison.OrdinalIgnoreCase);

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    [GeneratedRegex(@"^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|h|m|s)")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)", RegexOptions.IgnoreCase)]
    private static partial Regex TryAgainIn();
}
