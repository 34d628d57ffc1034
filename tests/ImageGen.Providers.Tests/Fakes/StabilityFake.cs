using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Plays Stability AI's Stable Image v2beta API on a <see cref="FakeProviderServer"/>:
/// <c>POST /v2beta/stable-image/generate/{ultra|core|sd3}</c>, multipart/form-data only, validated the way the
/// real API validates it, answered with raw image bytes (<c>Accept: image/*</c>) or base64 JSON
/// (<c>Accept: application/json</c>) with the <c>finish-reason</c>, <c>seed</c> and <c>x-request-id</c> headers.
/// Errors come in Stability's own shape, <c>{"id", "name", "errors": [...]}</c>.
/// </summary>
/// <remarks>
/// Words in the prompt pick the failure: <c>filtered</c> (HTTP 200 with <c>finish-reason: CONTENT_FILTERED</c> and
/// a blurred image), <c>filtered-odd-seeds</c> (the same, only for odd seeds, answered once the image of the even seed
/// has been sent, so a test knows which call finished first), <c>moderated</c> (403
/// content_moderation), <c>no-credits</c> (402), <c>too-large</c> (413), <c>non-english</c> (422),
/// <c>rate-limit</c> (429 with Retry-After 7), <c>server-error</c> (500). A wrong key is a 401.
/// </remarks>
public static class StabilityFake
{
    public const string ApiKey = "sk-stability-fake-0123456789abcdef";
    public const string RetryAfterSeconds = "7";

    public static readonly string[] AspectRatios = ["16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"];
    public static readonly string[] Sd3Models = ["sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium"];

    /// <summary>The pixel size each aspect ratio is made at (about one megapixel, sides multiples of 64).</summary>
    public static readonly IReadOnlyDictionary<string, (int Width, int Height)> Sizes = new Dictionary<string, (int, int)>
    {
        ["16:9"] = (1344, 768), ["1:1"] = (1024, 1024), ["21:9"] = (1536, 640), ["2:3"] = (832, 1216), ["3:2"] = (1216, 832),
        ["4:5"] = (896, 1088), ["5:4"] = (1088, 896), ["9:16"] = (768, 1344), ["9:21"] = (640, 1536),
    };

    private const long MaxSeed = 4_294_967_294;

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> EvenSeedSent = new(StringComparer.Ordinal);

    public static void Map(WebApplication app) =>
        app.MapPost("/v2beta/stable-image/generate/{service}", (string service, HttpRequest request) => GenerateAsync(service, request));

    private static async Task<IResult> GenerateAsync(string service, HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() != $"Bearer {ApiKey}")
        {
            return Error(401, "unauthorized", "authorization: invalid or missing header value");
        }

        if (service is not ("ultra" or "core" or "sd3"))
        {
            return Error(404, "not_found", $"The requested resource /v2beta/stable-image/generate/{service} was not found.");
        }

        var accept = request.Headers.Accept.ToString();
        var json = accept.Contains("application/json", StringComparison.OrdinalIgnoreCase);
        if (!json && accept.Length > 0 && !accept.Contains("image/*", StringComparison.Ordinal))
        {
            return Error(400, "bad_request", "accept: must be either image/* or application/json");
        }

        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "bad_request", "content-type: must be multipart/form-data");
        }

        var form = await request.ReadFormAsync();
        var prompt = form["prompt"].ToString();
        var aspectRatio = form.TryGetValue("aspect_ratio", out var ratio) ? ratio.ToString() : "1:1";
        var format = form.TryGetValue("output_format", out var f) ? f.ToString() : "png";
        var seedText = form.TryGetValue("seed", out var s) ? s.ToString() : "0";
        var errors = new List<string>();
        if (prompt.Length is 0 or > 10_000)
        {
            errors.Add("prompt: must be between 1 and 10000 characters");
        }

        if (!AspectRatios.Contains(aspectRatio))
        {
            errors.Add($"aspect_ratio: must be one of {string.Join(", ", AspectRatios)}");
        }

        string[] formats = service == "sd3" ? ["jpeg", "png"] : ["jpeg", "png", "webp"];
        if (!formats.Contains(format))
        {
            errors.Add($"output_format: must be one of {string.Join(", ", formats)}");
        }

        if (!long.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var seed) || seed > MaxSeed)
        {
            errors.Add($"seed: must be a number between 0 and {MaxSeed}");
        }

        if (service == "sd3" && form.TryGetValue("model", out var model) && !Sd3Models.Contains(model.ToString()))
        {
            errors.Add($"model: must be one of {string.Join(", ", Sd3Models)}");
        }

        if (service == "sd3" && form.TryGetValue("mode", out var mode) && mode != "text-to-image" && mode != "image-to-image")
        {
            errors.Add("mode: must be one of text-to-image, image-to-image");
        }

        if (errors.Count > 0)
        {
            return Error(400, "bad_request", [.. errors]);
        }

        if (Has(prompt, "moderated"))
        {
            return Error(403, "content_moderation",
                "Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.");
        }

        if (Has(prompt, "no-credits"))
        {
            return Error(402, "payment_required",
                "You lack sufficient credits to make this request. Please purchase more credits at https://platform.stability.ai/account/credits and try again.");
        }

        if (Has(prompt, "too-large"))
        {
            return Error(413, "payload_too_large", "body: payloads cannot be larger than 10MiB in size");
        }

        if (Has(prompt, "non-english"))
        {
            return Error(422, "invalid_language", "English is the only supported language for this service.");
        }

        if (Has(prompt, "rate-limit"))
        {
            request.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Error(429, "rate_limit_exceeded",
                "You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds.");
        }

        if (Has(prompt, "server-error"))
        {
            return Error(500, "internal_error", "An unexpected server error has occurred, please try again later.");
        }

        var filtered = Has(prompt, "filtered");
        if (Has(prompt, "filtered-odd-seeds"))
        {
            var evenSent = EvenSeedSent.GetOrAdd(prompt, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            filtered = seed % 2 == 1;
            if (filtered)
            {
                await evenSent.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            else
            {
                request.HttpContext.Response.OnCompleted(() =>
                {
                    evenSent.TrySetResult();
                    return Task.CompletedTask;
                });
            }
        }

        var finishReason = filtered ? "CONTENT_FILTERED" : "SUCCESS";
        var usedSeed = seed == 0 ? Random.Shared.NextInt64(1, MaxSeed + 1) : seed;
        var (width, height) = Sizes[aspectRatio];
        var bytes = format switch
        {
            "jpeg" => TestImages.Jpeg(width, height),
            "webp" => TestImages.Webp(width, height),
            _ => TestImages.Png(width, height),
        };

        var headers = request.HttpContext.Response.Headers;
        headers["x-request-id"] = Guid.NewGuid().ToString("N");
        if (json)
        {
            return Results.Json(new { image = Convert.ToBase64String(bytes), finish_reason = finishReason, seed = usedSeed });
        }

        headers["finish-reason"] = finishReason;
        headers["seed"] = usedSeed.ToString(CultureInfo.InvariantCulture);
        return Results.Bytes(bytes, $"image/{format}");
    }

    private static bool Has(string prompt, string word) => prompt.Contains(word, StringComparison.Ordinal);

    private static IResult Error(int status, string name, params string[] errors) =>
        Results.Json(new { id = Guid.NewGuid().ToString("N"), name, errors }, statusCode: status);
}
