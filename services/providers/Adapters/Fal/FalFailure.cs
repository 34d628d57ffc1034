using System.Net;
using System.Text.Json;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Adapters.Fal;

/// <summary>
/// One error answer of fal, read once. fal speaks two shapes: model errors, <c>{"detail": [{"loc", "msg", "type"}]}</c>
/// (validation, <c>content_policy_violation</c>, …), and request errors, <c>{"detail": "…", "error_type": "…"}</c> with the
/// same type in the <c>X-Fal-Error-Type</c> header (timeouts, runner failures). Sources:
/// https://docs.fal.ai/errors and https://docs.fal.ai/documentation/model-apis/request-errors.
/// </summary>
/// <param name="Types">The machine-readable types found: <c>error_type</c> and every <c>detail[].type</c>.</param>
/// <param name="QueueStatus">The queue's <c>status</c> field, which its cancel answers carry (<c>ALREADY_COMPLETED</c>, <c>NOT_FOUND</c>).</param>
internal sealed record FalFailure(HttpStatusCode Status, string Message, IReadOnlyList<string> Types, TimeSpan? RetryAfter, string? QueueStatus = null)
{
    public const string ErrorTypeHeader = "X-Fal-Error-Type";
    public const string ContentPolicyViolation = "content_policy_violation";

    /// <summary>A request error (the platform's verdict on the request, not a proxy's hiccup): it carries an error type.</summary>
    public bool IsRequestError => Types.Count > 0;

    public static async Task<FalFailure> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var types = new List<string>();
        if (response.Headers.TryGetValues(ErrorTypeHeader, out var headerTypes))
        {
            types.AddRange(headerTypes.Where(t => !string.IsNullOrWhiteSpace(t)));
        }

        var message = error.Message;
        string? queueStatus = null;
        if (error.Body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(error.Body);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    queueStatus = Text(root, "status");
                    if (Text(root, "error_type") is { } errorType)
                    {
                        types.Add(errorType);
                    }

                    if (root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Array)
                    {
                        message = Describe(detail, types) is { Length: > 0 } described ? described : message;
                    }
                }
            }
            catch (JsonException)
            {
                // The status says enough.
            }
        }

        return new FalFailure(error.StatusCode, ProviderMessage.Clean(message), types.Distinct(StringComparer.Ordinal).ToList(), error.RetryAfter, queueStatus);
    }

    /// <summary>The failure in the unified vocabulary; <paramref name="what"/> says what fal did ("rejected the request").</summary>
    public ProviderException ToException(string what = "rejected the request", decimal? costUsd = null)
    {
        var code = (int)Status;
        var context = Types.Count == 0 ? $"HTTP {code}" : $"HTTP {code}, {string.Join(", ", Types)}";
        string Text(string verb) => Message.Length == 0 ? $"{FalAdapter.Name} {verb} ({context})." : $"{FalAdapter.Name} {verb} ({context}): {Message}";

        if (Types.Contains(ContentPolicyViolation))
        {
            return ProviderException.ContentPolicy(Text("refused the content"), costUsd);
        }

        if (Types.Contains("request_timeout") || Types.Contains("startup_timeout"))
        {
            return ProviderException.Timeout(Text("timed out"));
        }

        return code switch
        {
            401 => ProviderException.Authentication(Text("did not accept the API key")),
            // fal locks an account that ran out of balance and answers 403 "User is locked. Reason: Exhausted balance…".
            403 when Message.Contains("balance", StringComparison.OrdinalIgnoreCase) || Message.Contains("locked", StringComparison.OrdinalIgnoreCase)
                => ProviderException.InsufficientCredit(Text("reports that the account is out of balance")),
            403 => ProviderException.Authentication(Text("does not let this key do that")),
            402 => ProviderException.InsufficientCredit(Text("reports that the account has insufficient credit")),
            429 => ProviderException.RateLimited(Text("is rate limiting requests"), RetryAfter),
            408 or 504 => ProviderException.Timeout(Text("timed out")),
            >= 500 => ProviderException.ProviderUnavailable(Text("is unavailable"), RetryAfter),
            >= 400 => ProviderException.InvalidRequest(Text(what)),
            _ => ProviderException.ProviderUnavailable(Text("gave an unexpected answer")),
        };
    }

    // "image_size.width: ensure this value is less than or equal to 14142; prompt: field required".
    private static string Describe(JsonElement detail, List<string> types)
    {
        var parts = new List<string>();
        foreach (var item in detail.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (Text(item, "type") is { } type)
            {
                types.Add(type);
            }

            var msg = Text(item, "msg") ?? Text(item, "message");
            if (msg is null || parts.Count == 3)
            {
                continue;
            }

            var location = item.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array
                ? string.Join('.', loc.EnumerateArray()
                    .Select(l => l.ValueKind == JsonValueKind.String ? l.GetString() : l.GetRawText())
                    .Where(l => l is not null && l != "body"))
                : string.Empty;
            parts.Add(location.Length == 0 ? msg : $"{location}: {msg}");
        }

        return string.Join("; ", parts);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
