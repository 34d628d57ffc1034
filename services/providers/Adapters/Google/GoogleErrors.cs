using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Adapters.Google;

/// <summary>
/// Google's error answers (<c>{"error":{"code","message","status","details":[…]}}</c>, the google.rpc shape) in the
/// unified vocabulary. The status alone misleads in several ways, so the details and the message are read too:
/// <list type="bullet">
/// <item>a wrong key is <c>400 INVALID_ARGUMENT</c> with <c>ErrorInfo.reason = API_KEY_INVALID</c>, not a 401 → <c>authentication</c>;</item>
/// <item>a project without billing is <c>400 FAILED_PRECONDITION</c> ("… Please enable billing …") or, for Imagen, <c>400
/// INVALID_ARGUMENT</c> ("only accessible to billed users") → <c>insufficient_credit</c>; other FAILED_PRECONDITIONs
/// ("User location is not supported") → <c>authentication</c> (the key may not be used from here);</item>
/// <item>spent prepaid credit is <c>402</c>, or <c>429 RESOURCE_EXHAUSTED</c> "Your prepayment credits are depleted" →
/// <c>insufficient_credit</c> (a retry cannot succeed); any other 429 → <c>rate_limited</c>, waiting
/// <c>RetryInfo.retryDelay</c> when Google gives one;</item>
/// <item>403 PERMISSION_DENIED / 401 UNAUTHENTICATED → <c>authentication</c>; 500/503 → <c>provider_unavailable</c>; 504 → <c>timeout</c>.</item>
/// </list>
/// </summary>
public static partial class GoogleErrors
{
    /// <summary>The failure for an error answer read by <see cref="ProviderErrorMapper.ReadErrorAsync"/>; <paramref name="key"/> is scrubbed from the message.</summary>
    public static ProviderException Map(ProviderErrorResponse error, string? key = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        var (reason, retryDelay) = ReadDetails(error.Body);
        var code = (int)error.StatusCode;
        var status = error.Code is { } c && c.All(ch => char.IsAsciiLetterUpper(ch) || ch == '_') ? c : null;
        var said = ProviderMessage.Clean(error.Message, key);
        var label = string.Join(" ", new[] { $"HTTP {code}", status, reason }.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal));
        string Text(string what) => said.Length == 0 ? $"{GoogleAdapter.Name} {what} ({label})." : $"{GoogleAdapter.Name} {what} ({label}): {said}";
        var wait = retryDelay ?? error.RetryAfter;

        if (code is 401 or 403 || status is "UNAUTHENTICATED" or "PERMISSION_DENIED" || reason?.StartsWith("API_KEY_", StringComparison.Ordinal) == true)
        {
            return ProviderException.Authentication(Text("did not accept the API key"));
        }

        if (code == 402 || CreditDepleted().IsMatch(said))
        {
            return ProviderException.InsufficientCredit(Text("reports that the account is out of credit"));
        }

        if (code == 429)
        {
            return ProviderException.RateLimited(Text("is rate limiting requests"), wait);
        }

        if (code == 400 && BillingRequired().IsMatch(said))
        {
            return ProviderException.InsufficientCredit(Text("requires billing to be enabled for this project"));
        }

        if (status == "FAILED_PRECONDITION")
        {
            return ProviderException.Authentication(Text("does not serve this key here"));
        }

        // The generic mapping decides code and retryability; the message keeps Google's status name, which says more than the number.
        var mapped = ProviderErrorMapper.Map(GoogleAdapter.Name, error.StatusCode, said, wait);
        var what = mapped.Code switch
        {
            ErrorCodes.Timeout => "timed out",
            ErrorCodes.ProviderUnavailable => "is unavailable",
            ErrorCodes.InvalidRequest => "rejected the request",
            _ => "gave an unexpected answer",
        };
        return new ProviderException(mapped.Code, Text(what), mapped.Retryable) { RetryAfter = mapped.RetryAfter };
    }

    /// <summary><c>ErrorInfo.reason</c> and <c>RetryInfo.retryDelay</c> from the error's <c>details</c>, when present.</summary>
    public static (string? Reason, TimeSpan? RetryDelay) ReadDetails(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || !body.TrimStart().StartsWith('{'))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object
                || !error.TryGetProperty("details", out var details) || details.ValueKind != JsonValueKind.Array)
            {
                return (null, null);
            }

            string? reason = null;
            TimeSpan? delay = null;
            foreach (var detail in details.EnumerateArray())
            {
                if (detail.ValueKind != JsonValueKind.Object || !detail.TryGetProperty("@type", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                var typeName = type.GetString()!;
                if (typeName.EndsWith("google.rpc.ErrorInfo", StringComparison.Ordinal) && detail.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
                {
                    reason ??= r.GetString();
                }
                else if (typeName.EndsWith("google.rpc.RetryInfo", StringComparison.Ordinal) && detail.TryGetProperty("retryDelay", out var d) && d.ValueKind == JsonValueKind.String)
                {
                    delay ??= ParseDuration(d.GetString());
                }
            }

            return (reason, delay);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>A protobuf JSON duration ("22s", "0.5s"); null when it is not one or not positive.</summary>
    public static TimeSpan? ParseDuration(string? value) =>
        value is { Length: > 1 } && value.EndsWith('s')
        && double.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
        && seconds > 0 && seconds < TimeSpan.FromDays(1).TotalSeconds
            ? TimeSpan.FromSeconds(seconds)
            : null;

    [GeneratedRegex(@"prepay(ment)? credits? (are|is|has been|have been) (depleted|exhausted)|credit balance is depleted", RegexOptions.IgnoreCase)]
    private static partial Regex CreditDepleted();

    // "enable billing", "billed users", "billing account": the ordinary quota 429 also says "plan and billing details", so 400 only.
    [GeneratedRegex(@"\bbill(ing|ed)\b", RegexOptions.IgnoreCase)]
    private static partial Regex BillingRequired();
}
