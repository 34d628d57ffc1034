using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageGen.Providers.Adapters.Http;

namespace ImageGen.Providers.Adapters.Kie;

/// <summary>
/// One error of KIE, which mostly answers HTTP 200 and puts the outcome in the body's <c>code</c> with a <c>msg</c>:
/// 401 unauthorized, 402 insufficient credits, 404 not found, 422 validation, 429 rate limited, 433 sub-key usage over
/// its limit, 451 input image not fetchable, 455 maintenance, 500 server error, 501 generation failed, 505 feature
/// disabled; the Flux Kontext guide adds 400 for content policy violations and 500 for a safety tolerance out of range.
/// Sources: https://docs.kie.ai/flux-kontext-api/quickstart and the response codes of KIE's API reference.
/// </summary>
/// <param name="Code">The body's <c>code</c>, or the HTTP status when the body had none.</param>
/// <param name="Http">The HTTP status the answer came with.</param>
internal sealed partial record KieFailure(int Code, string Message, HttpStatusCode Http, TimeSpan? RetryAfter)
{
    /// <summary>The task id is unknown or expired (KIE keeps records 14 days): <c>404</c>, or <c>422 record is null</c>.</summary>
    public bool IsUnknownTask =>
        Code == 404 || (Code == 422 && (Message.Contains("record is null", StringComparison.OrdinalIgnoreCase)
                                        || Message.Contains("not exist", StringComparison.OrdinalIgnoreCase)));

    /// <summary>A failed HTTP answer: the body's code when it has one, else the status.</summary>
    public static async Task<KieFailure> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var code = (int)response.StatusCode;
        if (error.Body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(error.Body);
                if (document.RootElement.ValueKind == JsonValueKind.Object && NumericCode(document.RootElement) is { } bodyCode and not 200)
                {
                    code = bodyCode;
                }
            }
            catch (JsonException)
            {
                // The status says enough.
            }
        }

        return new KieFailure(code, error.Message, response.StatusCode, error.RetryAfter);
    }

    /// <summary>The failure in the unified vocabulary; <paramref name="what"/> says what KIE did ("rejected the request").</summary>
    public ProviderException ToException(string what = "rejected the request")
    {
        var said = ProviderMessage.Clean(Message);
        var context = Http == HttpStatusCode.OK ? $"code {Code}" : $"HTTP {(int)Http}, code {Code}";
        string Text(string verb) => said.Length == 0 ? $"{KieAdapter.Name} {verb} ({context})." : $"{KieAdapter.Name} {verb} ({context}): {said}";
        var aboutContent = ContentWords().IsMatch(said);

        return Code switch
        {
            // The Flux Kontext guide lists 400 as its content policy answer.
            400 => ProviderException.ContentPolicy(Text("refused the content")),
            401 or 403 => ProviderException.Authentication(Text("did not accept the API key")),
            402 => ProviderException.InsufficientCredit(Text("reports that the account has insufficient credits")),
            433 => ProviderException.InsufficientCredit(Text("reports that this key's usage limit is reached")),
            404 => ProviderException.InvalidRequest(Text("does not know the resource asked for")),
            408 or 504 => ProviderException.Timeout(Text("timed out")),
            422 when aboutContent => ProviderException.ContentPolicy(Text("refused the content")),
            422 => ProviderException.InvalidRequest(Text(what)),
            429 => ProviderException.RateLimited(Text("is rate limiting requests"), RetryAfter),
            451 => ProviderException.InvalidRequest(Text("could not fetch the input image")),
            455 => ProviderException.ProviderUnavailable(Text("is under maintenance"), RetryAfter),
            // KIE reports a safety tolerance out of range as a server error; retrying cannot fix it.
            500 when said.Contains("tolerance", StringComparison.OrdinalIgnoreCase) => ProviderException.InvalidRequest(Text(what)),
            501 when aboutContent => ProviderException.ContentPolicy(Text("refused the content")),
            501 => ProviderException.ProviderUnavailable(Text("failed to generate the image")),
            505 => ProviderException.ProviderUnavailable(Text("has the feature disabled")),
            >= 500 => ProviderException.ProviderUnavailable(Text("is unavailable"), RetryAfter),
            >= 400 => ProviderException.InvalidRequest(Text(what)),
            _ => ProviderException.ProviderUnavailable(Text("gave an unexpected answer")),
        };
    }

    /// <summary>The <c>code</c> of a KIE body, as a number or a numeric string.</summary>
    public static int? NumericCode(JsonElement body) =>
        body.TryGetProperty("code", out var code) ? code.ValueKind switch
        {
            JsonValueKind.Number when code.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(code.GetString(), out var s) => s,
            _ => null,
        } : null;

    [GeneratedRegex(@"content polic|flagged|violat|sensitive|nsfw|prohibited|inappropriate|moderation", RegexOptions.IgnoreCase)]
    private static partial Regex ContentWords();
}
