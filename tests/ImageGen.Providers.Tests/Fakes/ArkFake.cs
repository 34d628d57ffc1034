using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Volcengine Ark's image generation API as the Seedream adapter meets it: <c>POST /api/v3/images/generations</c> with a
/// bearer key, the request checks the real API makes (model, prompt, size window per model, response format, reference
/// images), JPEG results as base64, and each failure in Ark's own <c>{"error":{code,message,param,type}}</c> shape,
/// including the errors Ark puts inside an HTTP 200 body.
/// </summary>
/// <remarks>
/// The prompt picks a failure: <c>refuse-text</c> (400 InputTextSensitiveContentDetected), <c>refuse-in-200</c> (HTTP 200
/// carrying OutputImageSensitiveContentDetected), <c>refuse-one-image</c> (HTTP 200 whose only image is an error),
/// <c>overdue</c> (403 AccountOverdueError), <c>not-activated</c> (404 ModelNotOpen), <c>throttle</c> (429 with
/// <c>Retry-After: 12</c>), <c>overloaded</c> (429 ServerOverloaded), <c>server-error</c> (500), <c>unavailable</c> (503),
/// <c>second-call-fails</c> (500 on the second call with that prompt). <c>as-url</c> answers with a URL on this server,
/// as a proxy that ignores <c>response_format</c> would.
/// </remarks>
public static class ArkFake
{
    public const string ApiKey = "ark-fake-7f3c9e2a-5b14-4d8e-9a61-0c2f8b7d4e13";
    public const string Path = "/api/v3/images/generations";
    public const string Seedream4 = "doubao-seedream-4-0-250828";
    public const string Seedream3 = "doubao-seedream-3-0-t2i-250415";

    public static Task<FakeProviderServer> StartAsync()
    {
        var calls = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        return FakeProviderServer.StartAsync(app =>
        {
            app.MapPost(Path, (HttpRequest request) => Generate(request.HttpContext, calls));
            app.MapGet("/files/{width:int}x{height:int}.jpeg", (int width, int height) => Results.Bytes(TestImages.Jpeg(width, height), "image/jpeg"));
        });
    }

    private static async Task<IResult> Generate(HttpContext context, ConcurrentDictionary<string, int> calls)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {ApiKey}")
        {
            return Error(401, "AuthenticationError", "The API key or AK/SK in the request is missing or invalid. Request id: 0217000000000000000000000000000000000000000001", "Unauthorized");
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Error(400, "InvalidParameter", "The request body is not valid JSON.", "BadRequest");
        }

        var model = Text(body, "model");
        if (model is not (Seedream4 or Seedream3))
        {
            return Error(404, "InvalidEndpointOrModel.NotFound", $"The model or endpoint {model} does not exist or you do not have access to it.", "NotFound");
        }

        var prompt = Text(body, "prompt");
        if (string.IsNullOrEmpty(prompt))
        {
            return Error(400, "MissingParameter", "The request failed because it is missing one or multiple required parameters: prompt.", "BadRequest", "prompt");
        }

        if (Text(body, "response_format") is { } format && format is not ("url" or "b64_json"))
        {
            return Error(400, "InvalidParameter", "The parameter `response_format` specified in the request is not valid.", "BadRequest", "response_format");
        }

        if (body.TryGetProperty("watermark", out var watermark) && watermark.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Error(400, "InvalidParameter", "The parameter `watermark` specified in the request is not valid.", "BadRequest", "watermark");
        }

        if (body.TryGetProperty("image", out var image))
        {
            var count = image.ValueKind == JsonValueKind.Array ? image.GetArrayLength() : 1;
            if (model == Seedream3 || count > 10)
            {
                return Error(400, "InvalidParameter", "The parameter `image` specified in the request is not valid.", "BadRequest", "image");
            }
        }

        if (body.TryGetProperty("seed", out var seed) && (!seed.TryGetInt64(out var s) || s < -1 || s > int.MaxValue))
        {
            return Error(400, "InvalidParameter", "The parameter `seed` specified in the request is not valid.", "BadRequest", "seed");
        }

        if (ParseSize(Text(body, "size") ?? (model == Seedream3 ? "1024x1024" : "2048x2048"), model) is not { } size)
        {
            return Error(400, "InvalidParameter", "The parameter `size` specified in the request is not valid.", "BadRequest", "size");
        }

        var call = calls.AddOrUpdate(prompt, 1, (_, n) => n + 1);
        if (prompt.Contains("refuse-text", StringComparison.Ordinal))
        {
            return Error(400, "InputTextSensitiveContentDetected", "The request failed because the input text may contain sensitive information.", "BadRequest");
        }

        if (prompt.Contains("refuse-in-200", StringComparison.Ordinal))
        {
            return Error(200, "OutputImageSensitiveContentDetected", "The request failed because the output image may contain sensitive information.", "BadRequest");
        }

        if (prompt.Contains("overdue", StringComparison.Ordinal))
        {
            return Error(403, "AccountOverdueError", "The request failed because your account has an overdue balance.", "Forbidden");
        }

        if (prompt.Contains("not-activated", StringComparison.Ordinal))
        {
            return Error(404, "ModelNotOpen", $"Your account has not activated the model {model}. Please activate the model service in the Ark Console.", "NotFound");
        }

        if (prompt.Contains("throttle", StringComparison.Ordinal))
        {
            context.Response.Headers.RetryAfter = "12";
            return Error(429, "RateLimitExceeded.EndpointRPMExceeded", "The Requests Per Minute (RPM) limit of the associated endpoint for your account has been exceeded.", "TooManyRequests");
        }

        if (prompt.Contains("overloaded", StringComparison.Ordinal))
        {
            return Error(429, "ServerOverloaded", "The service is currently unable to handle additional requests due to server overload.", "TooManyRequests");
        }

        if (prompt.Contains("server-error", StringComparison.Ordinal) || (prompt.Contains("second-call-fails", StringComparison.Ordinal) && call >= 2))
        {
            return Error(500, "InternalServiceError", "The service encountered an unexpected internal error.", "InternalServerError");
        }

        if (prompt.Contains("unavailable", StringComparison.Ordinal))
        {
            return Error(503, "ServiceUnavailable", "The service is temporarily unavailable.", "ServiceUnavailable");
        }

        var (width, height) = size;
        var sizeText = $"{width}x{height}";
        object item = prompt.Contains("refuse-one-image", StringComparison.Ordinal)
            ? new { error = new { code = "OutputImageSensitiveContentDetected", message = "The output image may contain sensitive information." } }
            : prompt.Contains("as-url", StringComparison.Ordinal) || Text(body, "response_format") is null or "url"
                ? new { url = $"{context.Request.Scheme}://{context.Request.Host}/files/{sizeText}.jpeg", size = sizeText }
                : new { b64_json = Convert.ToBase64String(TestImages.Jpeg(width, height)), size = sizeText };
        return Results.Json(new
        {
            model,
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            data = new[] { item },
            usage = new { generated_images = 1, output_tokens = width * height / 256, total_tokens = width * height / 256 },
        });
    }

    /// <summary>The size the model would make, or null where the real API refuses it (Seedream 4.0's pixel window, 3.0's side range).</summary>
    private static (int Width, int Height)? ParseSize(string size, string model)
    {
        if (model == Seedream4 && size is "1K" or "2K" or "4K")
        {
            var side = size[0] switch { '1' => 1024, '2' => 2048, _ => 4096 };
            return (side, side);
        }

        var parts = size.Split('x');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height)
            || width == 0 || height == 0)
        {
            return null;
        }

        if (model == Seedream3)
        {
            return width is >= 512 and <= 2048 && height is >= 512 and <= 2048 ? (width, height) : null;
        }

        var pixels = (long)width * height;
        var ratio = (double)width / height;
        return pixels is >= 1280 * 720 and <= 4096 * 4096 && ratio is >= 1.0 / 16 and <= 16 ? (width, height) : null;
    }

    private static IResult Error(int status, string code, string message, string type, string param = "") =>
        Results.Json(new { error = new { code, message, param, type } }, statusCode: status);

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
