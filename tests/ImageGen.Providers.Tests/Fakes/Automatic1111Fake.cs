using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SkiaSharp;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// The AUTOMATIC1111 web UI's API as the adapter meets it: <c>POST /sdapi/v1/txt2img</c> and <c>/sdapi/v1/img2img</c>,
/// optionally behind <c>--api-auth</c> (HTTP Basic, 401 <c>{"detail":"Incorrect username or password"}</c>), FastAPI's
/// 422 for fields of the wrong type, 404 <c>{"detail":"Sampler not found"}</c> for an unknown sampler and
/// <c>{"detail":"Init image not found"}</c> for an img2img without one, and 500 <c>{"error","detail","body","errors"}</c>
/// for exceptions. A batch of more than one image comes back with a grid of the batch first, as the web UI's default
/// "return grid" setting does. The <c>info</c> field is a JSON string, as in the real API.
/// </summary>
/// <remarks>
/// The prompt picks a failure: <c>out-of-memory</c> (500 OutOfMemoryError) and <c>reject-422</c> (422 on <c>body.prompt</c>,
/// as a server that validates prompts would). <see cref="StartWithoutApiAsync"/> plays a web UI started without
/// <c>--api</c>: every API path is FastAPI's 404 <c>{"detail":"Not Found"}</c>.
/// </remarks>
public static class Automatic1111Fake
{
    public const string Username = "painter";
    public const string Password = "s3cret-brush-9";

    private static readonly string[] Samplers = ["Euler a", "Euler", "DPM++ 2M", "DPM++ 2M Karras", "DDIM"];
    private static readonly string[] IntegerFields = ["width", "height", "seed", "batch_size", "n_iter", "steps"];
    private static readonly string[] NumberFields = ["cfg_scale", "denoising_strength"];

    /// <summary>A web UI with the API; with <paramref name="requireAuth"/> it was started with <c>--api-auth painter:s3cret-brush-9</c>.</summary>
    public static Task<FakeProviderServer> StartAsync(bool requireAuth = false) =>
        FakeProviderServer.StartAsync(app =>
        {
            app.MapPost("/sdapi/v1/txt2img", (HttpRequest request) => GenerateAsync(request.HttpContext, requireAuth, edit: false));
            app.MapPost("/sdapi/v1/img2img", (HttpRequest request) => GenerateAsync(request.HttpContext, requireAuth, edit: true));
            app.MapGet("/inputs/{width:int}x{height:int}.png", (int width, int height) => Results.Bytes(TestImages.Png(width, height), "image/png"));
        });

    public static Task<FakeProviderServer> StartWithoutApiAsync() =>
        FakeProviderServer.StartAsync(app =>
            app.MapFallback(() => Results.Json(new { detail = "Not Found" }, statusCode: StatusCodes.Status404NotFound)));

    private static async Task<IResult> GenerateAsync(HttpContext context, bool requireAuth, bool edit)
    {
        if (requireAuth && context.Request.Headers.Authorization.ToString() != $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"))}")
        {
            context.Response.Headers.WWWAuthenticate = "Basic";
            return Results.Json(new { detail = "Incorrect username or password" }, statusCode: StatusCodes.Status401Unauthorized);
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Validation([(["body"], "value is not a valid dict", "type_error.dict")]);
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return Validation([(["body"], "value is not a valid dict", "type_error.dict")]);
        }

        var problems = new List<(string[] Location, string Message, string Type)>();
        foreach (var field in IntegerFields)
        {
            if (body.TryGetProperty(field, out var value) && !value.TryGetInt64(out _))
            {
                problems.Add((["body", field], "value is not a valid integer", "type_error.integer"));
            }
        }

        foreach (var field in NumberFields)
        {
            if (body.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Number)
            {
                problems.Add((["body", field], "value is not a valid float", "type_error.float"));
            }
        }

        var prompt = body.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : string.Empty;
        if (prompt.Contains("reject-422", StringComparison.Ordinal))
        {
            problems.Add((["body", "prompt"], "ensure this value has at most 75 tokens", "value_error.any_str.max_length"));
        }

        if (problems.Count > 0)
        {
            return Validation(problems);
        }

        if (body.TryGetProperty("sampler_name", out var sampler) && sampler.ValueKind == JsonValueKind.String && !Samplers.Contains(sampler.GetString()))
        {
            return Results.Json(new { detail = "Sampler not found" }, statusCode: StatusCodes.Status404NotFound);
        }

        if (edit)
        {
            if (!body.TryGetProperty("init_images", out var inits) || inits.ValueKind != JsonValueKind.Array || inits.GetArrayLength() == 0)
            {
                return Results.Json(new { detail = "Init image not found" }, statusCode: StatusCodes.Status404NotFound);
            }

            foreach (var init in inits.EnumerateArray())
            {
                if (!IsImage(init.GetString()))
                {
                    return ServerError("HTTPException", "Invalid encoded image");
                }
            }
        }

        if (prompt.Contains("out-of-memory", StringComparison.Ordinal))
        {
            return ServerError("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity)");
        }

        var width = Integer(body, "width", 512);
        var height = Integer(body, "height", 512);
        var batch = (int)Math.Max(1, Integer(body, "batch_size", 1));
        var seed = Integer(body, "seed", -1);
        var images = new List<string>();
        if (batch > 1)
        {
            images.Add(Convert.ToBase64String(TestImages.Png((int)width * Math.Min(batch, 2), (int)height * ((batch + 1) / 2))));
        }

        for (var i = 0; i < batch; i++)
        {
            images.Add(Convert.ToBase64String(Shade((int)width, (int)height, i)));
        }

        var info = JsonSerializer.Serialize(new
        {
            prompt,
            all_prompts = Enumerable.Repeat(prompt, batch),
            seed,
            all_seeds = Enumerable.Range(0, batch).Select(i => seed + i),
            width,
            height,
            sd_model_name = "v1-5-pruned-emaonly",
            sd_model_hash = "6ce0161689",
        });
        return Results.Json(new { images, parameters = body, info });
    }

    /// <summary>A PNG that differs per batch position, so tests can tell the batch's images apart.</summary>
    public static byte[] Shade(int width, int height, int index)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(new SKColor((byte)(40 * index), 120, 200));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static bool IsImage(string? encoded)
    {
        if (encoded is null)
        {
            return false;
        }

        // The web UI strips a data URI's prefix itself.
        var comma = encoded.StartsWith("data:image/", StringComparison.Ordinal) ? encoded.IndexOf(',') : -1;
        try
        {
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(encoded[(comma + 1)..]));
            return bitmap is not null;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static long Integer(JsonElement body, string name, long fallback) =>
        body.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : fallback;

    private static IResult Validation(IEnumerable<(string[] Location, string Message, string Type)> problems) =>
        Results.Json(new { detail = problems.Select(p => new { loc = p.Location, msg = p.Message, type = p.Type }) }, statusCode: StatusCodes.Status422UnprocessableEntity);

    private static IResult ServerError(string error, string errors) =>
        Results.Json(new { error, detail = string.Empty, body = string.Empty, errors }, statusCode: StatusCodes.Status500InternalServerError);
}
