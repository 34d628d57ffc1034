using System.Collections.Concurrent;
using System.Text.Json;
using ImageGen.Providers.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// The Gemini Developer API as the Google adapter meets it: <c>POST /v1beta/models/{model}:predict</c> (Imagen) and
/// <c>POST /v1beta/models/{model}:generateContent</c> (Gemini), the key in <c>x-goog-api-key</c>, errors in the
/// google.rpc shape (<c>{"error":{"code","message","status","details"}}</c>) with Google's own quirks: a wrong key is
/// 400 <c>API_KEY_INVALID</c>, a missing one 403, quota 429s carry <c>RetryInfo</c> instead of <c>Retry-After</c>,
/// and refusals come back as HTTP 200 (Imagen drops or marks filtered images, Gemini answers without an image part).
/// </summary>
/// <remarks>
/// The prompt picks the answer: <c>rate-limit</c>, <c>prepaid-empty</c>, <c>no-billing</c>, <c>billed-only</c>,
/// <c>wrong-region</c>, <c>leaked-key</c>, <c>overloaded</c>, <c>server-error</c>, <c>deadline</c> for errors;
/// <c>filter-all</c> / <c>filter-some</c> for Imagen's filtering; <c>blocked-prompt</c>, <c>unsafe-image</c>,
/// <c>unsafe-sometimes</c> (every second call refused), <c>chatty</c> (text only) and <c>rate-limit-after-first</c> for Gemini.
/// Images have the pixel size Google renders for the requested aspect ratio, so size checks are real.
/// </remarks>
public sealed class GoogleFake
{
    public const string ApiKey = "AIzaSyFake0123456789abcdefghijklmnopqrs";

    public const string FilteredReason =
        "Your current safety filter threshold filtered out 1 generated images. You will not be charged for blocked images. Try rephrasing the prompt.";

    public const string ChattyAnswer = "Which style would you like: a watercolour or a photograph?";

    public static readonly IReadOnlyDictionary<string, (int Width, int Height)> ImagenSizes = new Dictionary<string, (int, int)>
    {
        ["1:1"] = (1024, 1024), ["3:4"] = (896, 1280), ["4:3"] = (1280, 896), ["9:16"] = (768, 1408), ["16:9"] = (1408, 768),
    };

    public static readonly IReadOnlyDictionary<string, (int Width, int Height)> GeminiSizes = new Dictionary<string, (int, int)>
    {
        ["1:1"] = (1024, 1024), ["2:3"] = (832, 1248), ["3:2"] = (1248, 832), ["3:4"] = (864, 1184), ["4:3"] = (1184, 864),
        ["4:5"] = (896, 1152), ["5:4"] = (1152, 896), ["9:16"] = (768, 1344), ["16:9"] = (1344, 768), ["21:9"] = (1536, 672),
    };

    private static readonly string[] ImagenModels = ["imagen-4.0-generate-001", "imagen-4.0-fast-generate-001", "imagen-4.0-ultra-generate-001"];
    private static readonly string[] GeminiModels = ["gemini-2.5-flash-image"];
    private static readonly string[] PersonGeneration = ["dont_allow", "allow_adult", "allow_all"];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, int> _callsByPrompt = new(StringComparer.Ordinal);

    public void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/v1beta/models/{target}", HandleAsync);
        // Input images for Gemini edits, served as a caller's CDN would.
        app.MapGet("/inputs/photo.jpg", () => Results.Bytes(TestImages.Jpeg(120, 90), "image/jpeg"));
        app.MapGet("/inputs/anim.gif", () => Results.Bytes(TestImages.Gif, "image/gif"));
    }

    private async Task<IResult> HandleAsync(string target, HttpRequest http)
    {
        var colon = target.LastIndexOf(':');
        var (model, method) = colon < 0 ? (target, string.Empty) : (target[..colon], target[(colon + 1)..]);

        var key = http.Headers["x-goog-api-key"].ToString();
        if (key.Length == 0)
        {
            return Error(403, "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
        }

        if (key != ApiKey)
        {
            return Error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", ErrorInfo("API_KEY_INVALID"));
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
        }

        return method switch
        {
            "predict" when ImagenModels.Contains(model) => Predict(model, body),
            "generateContent" when GeminiModels.Contains(model) => GenerateContent(body),
            _ => Error(404, "NOT_FOUND",
                $"models/{model} is not found for API version v1beta, or is not supported for {method}. Call ListModels to see the list of available models and their supported methods."),
        };
    }

    private static IResult Predict(string model, JsonElement body)
    {
        if (!body.TryGetProperty("instances", out var instances) || instances.ValueKind != JsonValueKind.Array || instances.GetArrayLength() != 1
            || !instances[0].TryGetProperty("prompt", out var promptElement) || promptElement.GetString() is not { Length: > 0 } prompt)
        {
            return Error(400, "INVALID_ARGUMENT", "Invalid value at 'instances[0].prompt': a non-empty prompt is required.");
        }

        var parameters = body.TryGetProperty("parameters", out var p) ? p : default;
        var count = Int(parameters, "sampleCount") ?? 4;
        if (count is < 1 or > 4)
        {
            return Error(400, "INVALID_ARGUMENT", $"Number of images must be in the range [1, 4], but got {count}.");
        }

        var ratio = Text(parameters, "aspectRatio") ?? "1:1";
        if (!ImagenSizes.TryGetValue(ratio, out var size))
        {
            return Error(400, "INVALID_ARGUMENT", $"Unsupported aspect ratio: {ratio}. Supported values are 1:1, 3:4, 4:3, 9:16, 16:9.");
        }

        var imageSize = Text(parameters, "sampleImageSize");
        if (imageSize is not null && (imageSize is not ("1K" or "2K") || model.Contains("-fast-", StringComparison.Ordinal)))
        {
            return Error(400, "INVALID_ARGUMENT", $"Image size {imageSize} is not supported for {model}.");
        }

        if (Text(parameters, "personGeneration") is { } person && !PersonGeneration.Contains(person))
        {
            return Error(400, "INVALID_ARGUMENT", $"Invalid personGeneration value: {person}.");
        }

        var mimeType = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("outputOptions", out var output) ? Text(output, "mimeType") : null;
        if (mimeType is not (null or "image/png" or "image/jpeg"))
        {
            return Error(400, "INVALID_ARGUMENT", $"Unsupported output mime type: {mimeType}.");
        }

        if (Failure(prompt) is { } failure)
        {
            return failure;
        }

        var includeReason = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("includeRaiReason", out var rai) && rai.ValueKind == JsonValueKind.True;
        var scale = imageSize == "2K" ? 2 : 1;
        var predictions = new List<object>();
        for (var i = 0; i < count; i++)
        {
            var filtered = prompt.Contains("filter-all", StringComparison.Ordinal) || (prompt.Contains("filter-some", StringComparison.Ordinal) && i == 0);
            if (filtered)
            {
                if (includeReason)
                {
                    predictions.Add(new { raiFilteredReason = FilteredReason });
                }

                continue;
            }

            var bytes = mimeType == "image/jpeg" ? TestImages.Jpeg(size.Width * scale, size.Height * scale) : TestImages.Png(size.Width * scale, size.Height * scale);
            predictions.Add(new { bytesBase64Encoded = Convert.ToBase64String(bytes), mimeType = mimeType ?? "image/png" });
        }

        // With nothing left and no reasons asked for, Google answers an empty object.
        return predictions.Count == 0 ? Results.Json(new { }, Json) : Results.Json(new { predictions }, Json);
    }

    private IResult GenerateContent(JsonElement body)
    {
        if (!body.TryGetProperty("contents", out var contents) || contents.ValueKind != JsonValueKind.Array || contents.GetArrayLength() == 0
            || !contents[0].TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return Error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified");
        }

        string? prompt = null;
        foreach (var part in parts.EnumerateArray())
        {
            if (Text(part, "text") is { } text)
            {
                prompt ??= text;
            }
            else if (part.TryGetProperty("inlineData", out var inline))
            {
                if (Text(inline, "mimeType") is not ("image/png" or "image/jpeg" or "image/webp" or "image/heic" or "image/heif")
                    || !TryDecodeImage(Text(inline, "data")))
                {
                    return Error(400, "INVALID_ARGUMENT", "Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
                }
            }
            else
            {
                return Error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents[0].parts: a part must have text or inlineData");
            }
        }

        if (prompt is null)
        {
            return Error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents[0].parts: a text part is required");
        }

        var config = body.TryGetProperty("generationConfig", out var c) ? c : default;
        var modalities = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("responseModalities", out var m) && m.ValueKind == JsonValueKind.Array
            ? m.EnumerateArray().Select(e => e.GetString()).ToList()
            : [];
        var ratio = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("imageConfig", out var imageConfig) ? Text(imageConfig, "aspectRatio") : null;
        if (ratio is not null && !GeminiSizes.ContainsKey(ratio))
        {
            return Error(400, "INVALID_ARGUMENT", $"* GenerationConfig.image_config.aspect_ratio: unsupported aspect ratio {ratio}");
        }

        var call = _callsByPrompt.AddOrUpdate(prompt, 1, (_, n) => n + 1);
        if (prompt.Contains("rate-limit-after-first", StringComparison.Ordinal) && call > 1)
        {
            return RateLimit();
        }

        if (Failure(prompt) is { } failure)
        {
            return failure;
        }

        if (prompt.Contains("blocked-prompt", StringComparison.Ordinal))
        {
            return Results.Json(new { promptFeedback = new { blockReason = "PROHIBITED_CONTENT" }, usageMetadata = Usage(0), modelVersion = "gemini-2.5-flash-image" }, Json);
        }

        if (prompt.Contains("unsafe-image", StringComparison.Ordinal) || (prompt.Contains("unsafe-sometimes", StringComparison.Ordinal) && call % 2 == 0))
        {
            return Results.Json(new { candidates = new[] { new { finishReason = "IMAGE_SAFETY", index = 0 } }, usageMetadata = Usage(0), modelVersion = "gemini-2.5-flash-image" }, Json);
        }

        if (prompt.Contains("chatty", StringComparison.Ordinal) || !modalities.Contains("IMAGE"))
        {
            return Candidate([new { text = ChattyAnswer }]);
        }

        var (width, height) = GeminiSizes[ratio ?? "1:1"];
        return Candidate(
        [
            new { text = "Here is the image you asked for." },
            new { inlineData = new { mimeType = "image/png", data = Convert.ToBase64String(TestImages.Png(width, height)) } },
        ]);
    }

    private static IResult Candidate(object[] parts) => Results.Json(new
    {
        candidates = new[] { new { content = new { parts, role = "model" }, finishReason = "STOP", index = 0 } },
        usageMetadata = Usage(1290),
        modelVersion = "gemini-2.5-flash-image",
        responseId = Guid.NewGuid().ToString("N"),
    }, Json);

    private static object Usage(int imageTokens) => new { promptTokenCount = 12, candidatesTokenCount = imageTokens, totalTokenCount = 12 + imageTokens };

    /// <summary>The error classes both endpoints share.</summary>
    private static IResult? Failure(string prompt)
    {
        if (prompt.Contains("rate-limit", StringComparison.Ordinal) && !prompt.Contains("rate-limit-after-first", StringComparison.Ordinal))
        {
            return RateLimit();
        }

        return prompt switch
        {
            _ when prompt.Contains("prepaid-empty", StringComparison.Ordinal) => Error(429, "RESOURCE_EXHAUSTED",
                "Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing."),
            _ when prompt.Contains("no-billing", StringComparison.Ordinal) => Error(400, "FAILED_PRECONDITION",
                "Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio."),
            _ when prompt.Contains("billed-only", StringComparison.Ordinal) => Error(400, "INVALID_ARGUMENT",
                "Imagen API is only accessible to billed users at this time."),
            _ when prompt.Contains("wrong-region", StringComparison.Ordinal) => Error(400, "FAILED_PRECONDITION",
                "User location is not supported for the API use."),
            _ when prompt.Contains("leaked-key", StringComparison.Ordinal) => Error(403, "PERMISSION_DENIED",
                "Your API key was reported as leaked. Please use another API key."),
            _ when prompt.Contains("overloaded", StringComparison.Ordinal) => Error(503, "UNAVAILABLE",
                "The model is overloaded. Please try again later."),
            _ when prompt.Contains("server-error", StringComparison.Ordinal) => Error(500, "INTERNAL",
                "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
            _ when prompt.Contains("deadline", StringComparison.Ordinal) => Error(504, "DEADLINE_EXCEEDED",
                "The request timed out. Please try again."),
            _ => null,
        };
    }

    private static IResult RateLimit() => Error(429, "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
        new Dictionary<string, object>
        {
            ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
            ["violations"] = new[] { new { quotaMetric = "generativelanguage.googleapis.com/generate_requests_per_model", quotaId = "GenerateRequestsPerMinutePerProjectPerModel", quotaValue = "10" } },
        },
        new Dictionary<string, object> { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = "22s" });

    private static Dictionary<string, object> ErrorInfo(string reason) => new()
    {
        ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
        ["reason"] = reason,
        ["domain"] = "googleapis.com",
        ["metadata"] = new Dictionary<string, string> { ["service"] = "generativelanguage.googleapis.com" },
    };

    private static IResult Error(int code, string status, string message, params Dictionary<string, object>[] details) =>
        Results.Json(new { error = details.Length == 0 ? (object)new { code, message, status } : new { code, message, status, details } }, Json, statusCode: code);

    private static bool TryDecodeImage(string? base64)
    {
        if (base64 is null)
        {
            return false;
        }

        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var written) && ImageInspector.TryInspect(buffer.AsSpan(0, written), out _);
    }

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;
}
