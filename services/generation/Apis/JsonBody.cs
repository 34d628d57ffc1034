using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Apis;

/// <summary>
/// Reads a JSON request body with errors a person can act on: where the JSON is broken, which field
/// has the wrong type, which field is not known (a typo would otherwise be silently ignored).
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, bool rejectUnknownFields) where T : class
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type",
                detail: $"Send the request body as JSON with 'Content-Type: application/json' (got '{context.Request.ContentType ?? "no content type"}')."));
        }

        // Checked here as well as by Kestrel's limit so the answer is the same behind any server.
        if (context.Request.ContentLength > Extensions.Extensions.MaxRequestBodyBytes)
        {
            return (null, TooLarge());
        }

        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return (null, BadJson($"The request body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}). Check for a missing quote, comma or brace."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, BadJson($"The request body must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}."));
            }

            if (rejectUnknownFields)
            {
                var known = KnownFields<T>.Names(options);
                var unknown = document.RootElement.EnumerateObject().Select(p => p.Name).Where(n => !known.Contains(n)).ToList();
                if (unknown.Count > 0)
                {
                    return (null, BadJson($"Unknown field(s): {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Accepted fields: {string.Join(", ", known.Order())}."));
                }
            }

            try
            {
                return (document.RootElement.Deserialize<T>(options), null);
            }
            catch (JsonException ex)
            {
                var field = ex.Path?.TrimStart('$', '.') is { Length: > 0 } path ? $"'{path}'" : "a field";
                return (null, BadJson($"The value of {field} has the wrong type: check that numbers are unquoted, text is quoted and metadata is an object of strings."));
            }
        }
    }

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Request body too large",
            detail: $"The request body is larger than the {Extensions.Extensions.MaxRequestBodyBytes} bytes (1 MiB) this endpoint accepts.");

    private static ProblemHttpResult BadJson(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed request body", detail: detail);

    private static class KnownFields<T>
    {
        private static HashSet<string>? _names;

        public static HashSet<string> Names(JsonSerializerOptions options) =>
            _names ??= typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Select(p => options.PropertyNamingPolicy?.ConvertName(p.Name) ?? p.Name)
                .ToHashSet(StringComparer.Ordinal);
    }
}
