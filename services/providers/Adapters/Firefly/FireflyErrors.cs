using System.Net;
using System.Text.Json;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Adapters.Firefly;

/// <summary>
/// Firefly's failures in the unified vocabulary. Firefly answers <c>{"error_code", "message", "validation_errors":[{loc, msg,
/// type}]}</c>; the Adobe I/O gateway in front of it answers <c>{"error_code":"401013","message":"Oauth token is not valid"}</c>
/// (401) and <c>{"error_code":"403003","message":"Api Key is invalid"}</c> (403). Source: the Firefly API OpenAPI files
/// (https://developer.adobe.com/firefly-services/docs/firefly-api/guides/api/image_generation/V3_Async and Adobe's SDK,
/// github.com/Firefly-Services/firefly-services-sdk-js, <c>packages/firefly/oas</c>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Content refusals come as 422 with <c>prompt_unsafe</c>, <c>input_media_unsafe</c> or <c>output_media_unsafe</c>, as 451
/// (<c>reference_image_unsafe_error</c>), or as a failed job carrying one of those codes: all <c>content_policy</c>.</item>
/// <item>403 says why in its <c>x-access-error</c> header: <c>quota_exhausted</c> is <c>insufficient_credit</c>;
/// <c>user_non_entitled</c>, <c>user_profile_denied</c> and <c>invalid_ims_scope</c> are <c>authentication</c>.</item>
/// <item>429 (<c>rate_limited</c>, <c>backpressure_limited</c>) carries <c>Retry-After</c> as seconds or as a date.</item>
/// </list>
/// </remarks>
internal static class FireflyErrors
{
    public const string AccessErrorHeader = "x-access-error";

    public static async Task<ProviderException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        (await ReadWithCodeAsync(response, cancellationToken)).Error;

    /// <summary>The mapped failure, with Firefly's own <c>error_code</c> for callers that treat some codes as no failure at all.</summary>
    public static async Task<(ProviderException Error, string? Code)> ReadWithCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var accessError = response.Headers.TryGetValues(AccessErrorHeader, out var values) ? values.FirstOrDefault() : null;
        var failure = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var (code, message) = Parse(failure.Body);
        return (Map(failure.StatusCode, code, message ?? (failure.Message.Length > 0 ? failure.Message : null), failure.RetryAfter, accessError), code);
    }

    /// <summary>A job Firefly reports as <c>failed</c>, with the error code and message of its status answer.</summary>
    public static ProviderException FromFailedJob(string? code, string? message)
    {
        var text = Describe("failed the job", "job status failed", code, message);
        return code switch
        {
            _ when IsUnsafe(code) => ProviderException.ContentPolicy(Describe("refused the content", "job status failed", code, message)),
            "validation_error" or "bad_request" or "language_not_supported" or "empty_input_body" => ProviderException.InvalidRequest(text),
            "timeout_error" => ProviderException.Timeout(text),
            "access_error" => ProviderException.Authentication(text),
            // runtime_error and anything new: the job broke on Adobe's side, and another attempt may do.
            _ => ProviderException.ProviderUnavailable(text),
        };
    }

    public static ProviderException Map(HttpStatusCode status, string? code, string? message, TimeSpan? retryAfter, string? accessError)
    {
        var http = (int)status;
        var context = $"HTTP {http}" + (code is null ? string.Empty : $", {code}") + (accessError is null ? string.Empty : $", {AccessErrorHeader}: {accessError}");
        string Text(string what) => Describe(what, context, null, message);

        return (http, code, accessError) switch
        {
            (_, _, _) when IsUnsafe(code) || http == 451 => ProviderException.ContentPolicy(Text("refused the content")),
            (403, _, "quota_exhausted") => ProviderException.InsufficientCredit(Text("reports that the organization's Firefly quota is used up")),
            (403, _, "user_non_entitled" or "user_profile_denied") => ProviderException.Authentication(
                Text("does not let this credential's organization use Firefly")),
            (403, _, "invalid_ims_scope") => ProviderException.Authentication(
                Text($"refused the access token's scopes; set {ProviderSettings.SectionFor(FireflyAdapter.Id)}:Options:{FireflyAdapter.ScopesOption} to include firefly_api and ff_apis")),
            (401 or 403, _, _) => ProviderException.Authentication(Text("did not accept the credentials")),
            (429, _, _) => ProviderException.RateLimited(Text("is rate limiting requests"), retryAfter),
            (408, _, _) or (_, "timeout_error", _) => ProviderException.Timeout(Text("timed out")),
            (400 or 413 or 415 or 422, _, _) => ProviderException.InvalidRequest(Text("rejected the request")),
            (501, _, _) => ProviderException.InvalidRequest(Text("does not implement what was asked")),
            _ => ProviderErrorMapper.Map(FireflyAdapter.Name, status, code is null ? message : $"{code}: {message}", retryAfter),
        };
    }

    private static bool IsUnsafe(string? code) =>
        code is not null && (code.EndsWith("_unsafe", StringComparison.Ordinal) || code.Contains("unsafe_error", StringComparison.Ordinal));

    private static string Describe(string what, string context, string? code, string? message)
    {
        var said = ProviderMessage.Clean(message);
        var where = code is null ? context : $"{context}, {code}";
        return said.Length == 0 ? $"{FireflyAdapter.Name} {what} ({where})." : $"{FireflyAdapter.Name} {what} ({where}): {said}";
    }

    /// <summary>The error code and a message from the body: its <c>message</c>, else its validation errors, else FastAPI's <c>detail</c>.</summary>
    private static (string? Code, string? Message) Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || !body.TrimStart().StartsWith('{'))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            var code = Text(root, "error_code");
            var message = Text(root, "message");
            var validation = Validation(root, "validation_errors") ?? Validation(root, "detail");
            return (code, (message, validation) switch
            {
                (not null, not null) => $"{message.TrimEnd('.')}: {validation}",
                (not null, null) => message,
                _ => validation,
            });
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? Validation(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var errors) || errors.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var problems = errors.EnumerateArray()
            .Where(e => e.ValueKind == JsonValueKind.Object)
            .Select(e =>
            {
                var location = e.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array
                    ? string.Join('.', loc.EnumerateArray().Skip(1).Select(l => l.ToString()))
                    : null;
                var text = Text(e, "msg");
                return string.IsNullOrEmpty(location) ? text : $"{location}: {text}";
            })
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .ToList();
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
