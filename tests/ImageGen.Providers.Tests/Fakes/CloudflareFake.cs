using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Cloudflare's REST API for Workers AI as the adapter meets it: <c>POST /client/v4/accounts/{account}/ai/run/@cf/…</c>
/// with a bearer API token. FLUX.1 [schnell] checks its closed input schema (prompt of 1-2048 characters, steps up to
/// 8, nothing else) and answers a base64 JPEG of 1024x1024 in the JSON envelope; Stable Diffusion XL checks its sizes
/// and steps and answers raw PNG bytes. Failures use the envelope <c>{"success":false,"errors":[{code,message}]}</c>.
/// </summary>
/// <remarks>
/// The prompt picks a failure: <c>nsfw</c> (400, code 3030), <c>nsfw-in-200</c> (the same refusal inside an HTTP 200),
/// <c>error-in-200</c> (HTTP 200 with <c>success:false</c>, code 3043), <c>daily-limit</c> (429, code 3036: the free
/// allocation is used up), <c>capacity</c> (429, code 3040), <c>throttle</c> (429, code 971, <c>Retry-After: 20</c>),
/// <c>server-error</c> (500, code 3043), <c>timeout</c> (408, code 3007), <c>second-call-fails</c> (500 on the second
/// call with that prompt).
/// </remarks>
public static class CloudflareFake
{
    public const string ApiToken = "cf-fake-token-4QmZ8nX2pL7vR9sK3tW6yB1c";
    public const string AccountId = "0123456789abcdef0123456789abcdef";
    public const string FluxRoute = "@cf/black-forest-labs/flux-1-schnell";
    public const string SdxlRoute = "@cf/stabilityai/stable-diffusion-xl-base-1.0";

    public static string PathFor(string route, string account = AccountId) => $"/client/v4/accounts/{account}/ai/run/{route}";

    public static Task<FakeProviderServer> StartAsync()
    {
        var calls = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        return FakeProviderServer.StartAsync(app =>
            app.MapPost("/client/v4/accounts/{account}/ai/run/{**model}", (HttpContext context, string account, string model) => RunAsync(context, account, model, calls)));
    }

    private static async Task<IResult> RunAsync(HttpContext context, string account, string model, ConcurrentDictionary<string, int> calls)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {ApiToken}")
        {
            return Failure(401, 10000, "Authentication error");
        }

        if (account != AccountId)
        {
            // A valid token used on an account it has no rights to.
            return Failure(403, 10000, "Authentication error");
        }

        if (model is not (FluxRoute or SdxlRoute))
        {
            return Failure(400, 5007, $"No such model {model} or task");
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Failure(400, 5006, "AiError: Bad input: Error: request body is not valid JSON");
        }

        var prompt = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : null;
        if (model == FluxRoute)
        {
            if (prompt is not { Length: >= 1 and <= 2048 })
            {
                return Failure(400, 5006, "AiError: Bad input: Error: must have required property 'prompt' of 1 to 2048 characters");
            }

            if (body.EnumerateObject().Select(x => x.Name).FirstOrDefault(name => name is not ("prompt" or "steps")) is { } extra)
            {
                return Failure(400, 5006, $"AiError: Bad input: Error: must NOT have additional properties ('{extra}')");
            }

            if (body.TryGetProperty("steps", out var steps) && (!steps.TryGetInt32(out var n) || n > 8))
            {
                return Failure(400, 5006, "AiError: Bad input: Error: at '/steps' must be <= 8");
            }
        }
        else
        {
            if (prompt is not { Length: >= 1 })
            {
                return Failure(400, 5006, "AiError: Bad input: Error: must have required property 'prompt'");
            }

            foreach (var side in new[] { "width", "height" })
            {
                if (body.TryGetProperty(side, out var value) && (!value.TryGetInt32(out var pixels) || pixels is < 256 or > 2048))
                {
                    return Failure(400, 5006, $"AiError: Bad input: Error: at '/{side}' must be between 256 and 2048");
                }
            }

            if (body.TryGetProperty("num_steps", out var steps) && (!steps.TryGetInt32(out var n) || n > 20))
            {
                return Failure(400, 5006, "AiError: Bad input: Error: at '/num_steps' must be <= 20");
            }
        }

        var call = calls.AddOrUpdate(prompt, 1, (_, n) => n + 1);
        if (prompt.Contains("nsfw-in-200", StringComparison.Ordinal))
        {
            return Failure(200, 3030, "AiError: Input prompt contains NSFW content.");
        }

        if (prompt.Contains("nsfw", StringComparison.Ordinal))
        {
            return Failure(400, 3030, "AiError: Input prompt contains NSFW content.");
        }

        if (prompt.Contains("error-in-200", StringComparison.Ordinal))
        {
            return Failure(200, 3043, "AiError: Internal server error");
        }

        if (prompt.Contains("daily-limit", StringComparison.Ordinal))
        {
            return Failure(429, 3036, "You have used up your daily free allocation of 10,000 neurons. Please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.");
        }

        if (prompt.Contains("capacity", StringComparison.Ordinal))
        {
            return Failure(429, 3040, "No more data centers to forward the request to");
        }

        if (prompt.Contains("throttle", StringComparison.Ordinal))
        {
            context.Response.Headers.RetryAfter = "20";
            return Failure(429, 971, "Please wait and consider throttling your request speed");
        }

        if (prompt.Contains("timeout", StringComparison.Ordinal))
        {
            return Failure(408, 3007, "Request timeout");
        }

        if (prompt.Contains("server-error", StringComparison.Ordinal) || (prompt.Contains("second-call-fails", StringComparison.Ordinal) && call >= 2))
        {
            return Failure(500, 3043, "Internal server error");
        }

        if (model == SdxlRoute)
        {
            var width = body.TryGetProperty("width", out var w) ? w.GetInt32() : 1024;
            var height = body.TryGetProperty("height", out var h) ? h.GetInt32() : 1024;
            return Results.Bytes(TestImages.Png(width, height), "image/png");
        }

        return Results.Json(new
        {
            result = new { image = Convert.ToBase64String(TestImages.Jpeg(1024, 1024)) },
            success = true,
            errors = Array.Empty<object>(),
            messages = Array.Empty<object>(),
        });
    }

    private static IResult Failure(int status, int code, string message) =>
        Results.Json(new { result = (object?)null, success = false, errors = new[] { new { code, message } }, messages = Array.Empty<object>() }, statusCode: status);
}
