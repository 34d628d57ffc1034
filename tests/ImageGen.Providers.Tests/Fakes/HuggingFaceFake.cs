using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Plays Hugging Face's hf-inference text-to-image behind the Inference Providers router on a
/// <see cref="FakeProviderServer"/>: <c>POST /hf-inference/models/{owner}/{name}</c> with
/// <c>{"inputs": "…", "parameters": {…}}</c>, answered with raw image bytes in the format the <c>Accept</c> header
/// asks for (JPEG by default), at the width and height of the parameters (1024x1024 by default).
/// Errors come as <c>{"error": "…"}</c>, validation errors from the pipeline as a list.
/// </summary>
/// <remarks>
/// Known models: <see cref="Models"/>; others are a 404. Tokens: <see cref="Token"/>; <see cref="ReadOnlyToken"/> lacks
/// the inference permission (403); anything else is a 401. Words in the prompt pick the failure: <c>cold-model</c>
/// (503 while loading, <c>estimated_time</c> 20.0, however long the client waits), <c>no-credits</c> (402),
/// <c>rate-limit</c> (429 with Retry-After 30), <c>server-error</c> (500). Sides not divisible by 8 are a 400, as
/// the diffusers pipeline refuses them.
/// </remarks>
public static class HuggingFaceFake
{
    public const string Token = "hf_fakeInferenceToken0123456789";
    public const string ReadOnlyToken = "hf_fakeReadOnlyToken9876543210";
    public const double LoadingSeconds = 20.0;
    public const string RetryAfterSeconds = "30";

    public static readonly string[] Models = ["black-forest-labs/FLUX.1-schnell", "stabilityai/stable-diffusion-xl-base-1.0"];

    public static void Map(WebApplication app) =>
        app.MapPost("/hf-inference/models/{owner}/{name}", (string owner, string name, HttpRequest request) => GenerateAsync($"{owner}/{name}", request));

    private static async Task<IResult> GenerateAsync(string model, HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization == $"Bearer {ReadOnlyToken}")
        {
            return Error(403, "This authentication method does not have sufficient permissions to call Inference Providers on behalf of user fake-user");
        }

        if (authorization != $"Bearer {Token}")
        {
            return Error(401, "Invalid credentials in Authorization header");
        }

        if (!Models.Contains(model))
        {
            return Error(404, $"Model {model} does not exist");
        }

        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(request.Body)).RootElement;
        }
        catch (JsonException)
        {
            return Error(400, "Failed to deserialize the JSON body into the target type");
        }

        if (!body.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.String || inputs.GetString()!.Length == 0)
        {
            return Error(400, "Input validation error: `inputs` must be a non-empty string");
        }

        var prompt = inputs.GetString()!;
        var parameters = body.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var width = Int(parameters, "width") ?? 1024;
        var height = Int(parameters, "height") ?? 1024;
        if (width % 8 != 0 || height % 8 != 0)
        {
            return Results.Json(new { error = new[] { $"`height` and `width` have to be divisible by 8 but are {height} and {width}." } }, statusCode: 400);
        }

        if (prompt.Contains("cold-model", StringComparison.Ordinal))
        {
            return Results.Json(new { error = $"Model {model} is currently loading", estimated_time = LoadingSeconds }, statusCode: 503);
        }

        if (prompt.Contains("no-credits", StringComparison.Ordinal))
        {
            return Error(402, "You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits.");
        }

        if (prompt.Contains("rate-limit", StringComparison.Ordinal))
        {
            request.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Error(429, "Rate limit reached. You reached free usage limit (reset hourly). Please subscribe to a plan at https://huggingface.co/pricing to use the API at this rate");
        }

        if (prompt.Contains("server-error", StringComparison.Ordinal))
        {
            return Error(500, "CUDA out of memory. Tried to allocate 2.00 GiB");
        }

        var accept = request.Headers.Accept.ToString();
        var (bytes, contentType) = accept switch
        {
            _ when accept.Contains("image/png", StringComparison.Ordinal) => (TestImages.Png(width, height), "image/png"),
            _ when accept.Contains("image/webp", StringComparison.Ordinal) => (TestImages.Webp(width, height), "image/webp"),
            _ => (TestImages.Jpeg(width, height), "image/jpeg"),
        };
        return Results.Bytes(bytes, contentType);
    }

    private static int? Int(JsonElement parameters, string name) =>
        parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
