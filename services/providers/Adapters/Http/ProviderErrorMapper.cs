using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImageGen.Contracts;

namespace ImageGen.Providers.Adapters.Http;

/// <summary>A provider's error answer, read once: status, its own message and code when the body has them, and the wait it asked for.</summary>
/// <param name="Message">The provider's message, cleaned by <see cref="ProviderMessage.Clean"/>; empty when the body had none.</param>
/// <param name="Code">The provider's own error code or type (<c>insufficient_quota</c>, <c>content_moderation</c>, …), for adapters to spot quirks.</param>
/// <param name="Body">The raw body (at most 64 KiB), for adapters that need more; never show or log it as it is.</param>
public sealed record ProviderErrorResponse(HttpStatusCode StatusCode, string Message, string? Code, TimeSpan? RetryAfter, string Body);

/// <summary>
/// Turns a provider's HTTP failure into a <see cref="ProviderException"/> with the unified code, keeping
/// the provider's own (cleaned) message:
/// 400/404/409/413/422 → <c>invalid_request</c>; 401/403 → <c>authentication</c>; 402 → <c>insufficient_credit</c>;
/// 408/504 → <c>timeout</c>; 429 → <c>rate_limited</c> with its <c>Retry-After</c>; 500/502/503 and other 5xx →
/// <c>provider_unavailable</c>. Adapters handle their provider's quirks first (OpenAI's out-of-credit 429,
/// refusals inside a 200) and hand the rest to <see cref="Map(string, ProviderErrorResponse)"/>.
/// </summary>
public static class ProviderErrorMapper
{
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly TimeSpan LongestRetryAfter = TimeSpan.FromDays(1);

    /// <summary>Throws the mapped failure unless the response is a success (2xx). The body is left unread on success.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string provider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSuccessStatusCode)
        {
            throw Map(provider, await ReadErrorAsync(response, cancellationToken));
        }
    }

    /// <summary>Reads a failed response: the body (capped), the message and code found in it, and <c>Retry-After</c>.</summary>
    public static async Task<ProviderErrorResponse> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await ReadCappedAsync(response, cancellationToken);
        var (message, code) = ExtractMessage(body);
        return new ProviderErrorResponse(
            response.StatusCode, ProviderMessage.Clean(message), code,
            ParseRetryAfter(response.Headers, (time ?? TimeProvider.System).GetUtcNow()), body);
    }

    /// <summary>The mapped failure for a response read by <see cref="ReadErrorAsync"/>.</summary>
    public static ProviderException Map(string provider, ProviderErrorResponse error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Map(provider, error.StatusCode, error.Message, error.RetryAfter);
    }

    /// <summary>
    /// The mapped failure for <paramref name="status"/>. <paramref name="providerMessage"/> is cleaned here too,
    /// so adapters may pass a message taken from a body themselves (errors inside an HTTP 200, for instance).
    /// <paramref name="retryAfter"/> is the provider's wait from a header or from its body (Replicate's <c>retry_after</c>).
    /// </summary>
    public static ProviderException Map(string provider, HttpStatusCode status, string? providerMessage, TimeSpan? retryAfter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        var code = (int)status;
        var said = ProviderMessage.Clean(providerMessage);
        string Text(string what) => said.Length == 0 ? $"{provider} {what} (HTTP {code})." : $"{provider} {what} (HTTP {code}): {said}";
        var wait = retryAfter is { } r && r > TimeSpan.Zero ? (r > LongestRetryAfter ? LongestRetryAfter : r) : (TimeSpan?)null;

        return code switch
        {
            401 or 403 => ProviderException.Authentication(Text("did not accept the API key")),
            402 => ProviderException.InsufficientCredit(Text("reports that the account has insufficient credit")),
            408 or 504 => ProviderException.Timeout(Text("timed out")),
            429 => ProviderException.RateLimited(Text("is rate limiting requests"), wait),
            >= 500 => ProviderException.ProviderUnavailable(Text("is unavailable"), wait),
            >= 400 => ProviderException.InvalidRequest(Text("rejected the request")),
            // A redirect or an informational answer where a result was expected: the provider is misbehaving.
            _ => ProviderException.ProviderUnavailable(Text("gave an unexpected answer")),
        };
    }

    /// <summary>
    /// A failure to reach the provider at all (connection refused, DNS, TLS, a timeout) as the unified code.
    /// Returns null for the caller's own cancellation, which must propagate as it is.
    /// </summary>
    public static ProviderException? MapTransportFailure(string provider, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (cancellationToken.IsCancellationRequested && exception is OperationCanceledException)
        {
            return null;
        }

        return exception switch
        {
            Polly.Timeout.TimeoutRejectedException or TaskCanceledException or OperationCanceledException or TimeoutException =>
                ProviderException.Timeout($"{provider} did not answer in time.", exception),
            HttpRequestException http => ProviderException.ProviderUnavailable(
                $"{provider} could not be reached ({Describe(http)}).", innerException: exception),
            _ => null,
        };
    }

    /// <summary>
    /// The wait a response asks for: <c>Retry-After</c> as seconds or as an HTTP date (relative to <paramref name="now"/>).
    /// Null when absent, unparsable or already past.
    /// </summary>
    public static TimeSpan? ParseRetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.RetryAfter is { } parsed)
        {
            var wait = parsed.Delta ?? (parsed.Date is { } date ? date - now : null);
            return wait > TimeSpan.Zero ? wait : null;
        }

        // Some providers send fractional seconds ("1.5"), which the typed header refuses.
        if (headers.TryGetValues("Retry-After", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds > 0 && seconds < LongestRetryAfter.TotalSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }

    /// <summary>
    /// The message and code in the error shapes providers use: <c>{"error":{"message","code"|"type"}}</c> (OpenAI, Ark,
    /// Google), <c>{"error":"…"}</c> (Hugging Face), <c>{"message"}</c>, <c>{"detail":"…"|[{"msg"}]}</c> (Replicate, fal),
    /// <c>{"errors":["…"]|[{"message"}]}</c> (Stability, Unsplash, Cloudflare), <c>{"msg"}</c> (KIE), <c>{"title"}</c>;
    /// short plain text otherwise.
    /// </summary>
    public static (string? Message, string? Code) ExtractMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null);
        }

        var trimmed = body.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                return FromJson(document.RootElement);
            }
            catch (JsonException)
            {
                return (null, null);
            }
        }

        // An HTML error page from a proxy says nothing a person can act on.
        return trimmed.StartsWith('<') || trimmed.Length > 2 * ProviderMessage.MaxLength ? (null, null) : (trimmed, null);
    }

    private static (string? Message, string? Code) FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, null);
        }

        var code = Text(root, "code") ?? Text(root, "name") ?? Text(root, "error_type") ?? Text(root, "type");
        if (root.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.String)
            {
                return (error.GetString(), code);
            }

            if (error.ValueKind == JsonValueKind.Object)
            {
                // A named code ("insufficient_quota") says more than a type; Google's numeric code says less than its status.
                var named = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                return (Text(error, "message") ?? Text(error, "msg"), named ?? Text(error, "type") ?? Text(error, "status") ?? Text(error, "code") ?? code);
            }
        }

        if ((Text(root, "message") ?? Text(root, "msg")) is { } message)
        {
            return (message, code);
        }

        if (root.TryGetProperty("detail", out var detail))
        {
            if (detail.ValueKind == JsonValueKind.String)
            {
                return (detail.GetString(), code);
            }

            if (detail.ValueKind == JsonValueKind.Array && detail.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first)
            {
                return (Text(first, "msg") ?? Text(first, "message"), Text(first, "type") ?? code);
            }
        }

        if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
        {
            var texts = errors.EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.ValueKind == JsonValueKind.Object ? Text(e, "message") : null)
                .Where(t => !string.IsNullOrWhiteSpace(t))
                .ToList();
            if (texts.Count > 0)
            {
                return (string.Join("; ", texts), code);
            }
        }

        return (Text(root, "title"), code);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    private static async Task<string> ReadCappedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxBodyBytes];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
            {
                total += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The status says enough; a body cut off mid-way adds nothing.
            return string.Empty;
        }
    }

    private static string Describe(HttpRequestException exception) => exception.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "its host name did not resolve",
        HttpRequestError.ConnectionError => "the connection failed",
        HttpRequestError.SecureConnectionError => "the TLS handshake failed",
        HttpRequestError.ResponseEnded => "the connection closed before the answer was complete",
        HttpRequestError.ProxyTunnelError => "the proxy refused the tunnel",
        _ => "the request failed in transit",
    };
}
