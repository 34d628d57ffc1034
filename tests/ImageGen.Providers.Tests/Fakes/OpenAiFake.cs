using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ImageGen.Providers.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// OpenAI's Images API as a fake: <c>POST /v1/images/generations</c> (JSON) and <c>POST /v1/images/edits</c>
/// (multipart, <c>image[]</c> parts) for <c>gpt-image-1</c> and <c>dall-e-3</c>, with the checks the real API makes
/// (Bearer key, known model, parameters the model does not take, sizes, qualities, <c>n=1</c> for DALL·E 3, prompt
/// length, input image types), its success bodies (base64, or URLs served here for DALL·E, plus GPT Image's token
/// <c>usage</c>) and its error shapes. A marker in the prompt picks an error class (<see cref="Moderated"/>, …).
/// </summary>
public sealed class OpenAiFake : IAsyncDisposable
{
    /// <summary>The only key accepted.</summary>
    public const string Key = "sk-proj-Fake0123456789abcdefXYZ7";

    public const string Moderated = "[moderated]";
    public const string OutOfQuota = "[out-of-quota]";
    public const string BillingLimit = "[billing-limit]";
    public const string RateLimited = "[rate-limited]";
    public const string RateLimitedMs = "[rate-limited-ms]";
    public const string RateLimitedReset = "[rate-limited-reset]";
    public const string RateLimitedQuietly = "[rate-limited-quietly]";
    public const string UnsupportedRegion = "[unsupported-region]";
    public const string ServerError = "[server-error]";
    public const string Overloaded = "[overloaded]";

    /// <summary>Answers DALL·E with URLs even when base64 was asked for, as some OpenAI-compatible proxies do.</summary>
    public const string AnswerWithUrl = "[answer-with-url]";

    /// <summary>Image tokens billed per input image of an edit (the fake's figure; the real one depends on the image).</summary>
    public const int ImageTokensPerInput = 194;

    private static readonly ConcurrentDictionary<(string Format, int Width, int Height), byte[]> Encoded = new();

    private static readonly Dictionary<string, Rules> Models = new(StringComparer.Ordinal)
    {
        ["gpt-image-1"] = new(
            GptImage: true,
            Sizes: ["1024x1024", "1536x1024", "1024x1536", "auto"],
            Qualities: ["low", "medium", "high", "auto"],
            MaxPrompt: 32000,
            Parameters: ["model", "prompt", "n", "size", "quality", "output_format", "output_compression", "background", "moderation", "user", "stream", "partial_images"]),
        ["dall-e-3"] = new(
            GptImage: false,
            Sizes: ["1024x1024", "1792x1024", "1024x1792"],
            Qualities: ["standard", "hd"],
            MaxPrompt: 4000,
            Parameters: ["model", "prompt", "n", "size", "quality", "response_format", "style", "user"]),
    };

    private readonly ConcurrentDictionary<string, byte[]> _files = new();
    private readonly ConcurrentQueue<ReceivedEdit> _edits = new();
    private FakeProviderServer _server = null!;

    private OpenAiFake()
    {
    }

    public FakeProviderServer Server => _server;

    /// <summary>What <c>Providers:openai:BaseUrl</c> is set to: <c>http://127.0.0.1:{port}/v1</c>.</summary>
    public Uri BaseUrl => _server.Url("v1");

    /// <summary>Every edit request, its multipart form parsed.</summary>
    public IReadOnlyList<ReceivedEdit> Edits => [.. _edits];

    /// <summary>Starts the fake; <paramref name="more"/> maps further routes on the same server (input images to fetch, …).</summary>
    public static async Task<OpenAiFake> StartAsync(Action<WebApplication>? more = null)
    {
        var fake = new OpenAiFake();
        fake._server = await FakeProviderServer.StartAsync(app =>
        {
            fake.Map(app);
            more?.Invoke(app);
        });
        return fake;
    }

    /// <summary>Text tokens the fake bills for a prompt.</summary>
    public static int TextTokens(string prompt) => Math.Max(1, prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

    /// <summary>Output tokens of one GPT Image image, as OpenAI documents them per quality and size.</summary>
    public static int OutputTokensPerImage(string quality, string size)
    {
        var square = size is "1024x1024" or "auto";
        return quality switch
        {
            "low" => square ? 272 : 408,
            "high" => square ? 4160 : 6240,
            _ => square ? 1056 : 1584,
        };
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private void Map(WebApplication app)
    {
        app.MapPost("/v1/images/generations", async (HttpContext context) =>
        {
            if (Unauthorized(context) is { } refusal)
            {
                return refusal;
            }

            if (context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            {
                return Error(context, 400, $"Invalid Content-Type header ({context.Request.ContentType}), expected application/json.", "invalid_request_error", null, null);
            }

            JsonElement body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            }
            catch (JsonException)
            {
                return Error(context, 400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)", "invalid_request_error", null, null);
            }

            if (body.ValueKind != JsonValueKind.Object)
            {
                return Error(context, 400, "We could not parse the JSON body of your request: expected an object.", "invalid_request_error", null, null);
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in body.EnumerateObject())
            {
                if (property.NameEquals("n") && property.Value.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
                {
                    return Error(context, 400, $"Invalid type for 'n': expected an integer, but got {property.Value.ValueKind.ToString().ToLowerInvariant()} instead.", "invalid_request_error", "n", "invalid_type");
                }

                var text = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => property.Value.GetRawText(),
                };
                if (text is not null)
                {
                    fields[property.Name] = text;
                }
            }

            return Answer(context, fields, inputImages: 0);
        });

        app.MapPost("/v1/images/edits", async (HttpContext context) =>
        {
            if (Unauthorized(context) is { } refusal)
            {
                return refusal;
            }

            if (context.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) != true)
            {
                return Error(context, 400, $"Invalid Content-Type header ({context.Request.ContentType}), expected multipart/form-data.", "invalid_request_error", null, null);
            }

            var form = await context.Request.ReadFormAsync();
            var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
            var files = new List<ReceivedFile>();
            foreach (var file in form.Files)
            {
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer);
                files.Add(new ReceivedFile(file.Name, file.FileName, file.ContentType, buffer.ToArray()));
            }

            _edits.Enqueue(new ReceivedEdit(fields, files));

            var model = fields.GetValueOrDefault("model", "dall-e-2");
            if (model == "dall-e-3")
            {
                return Error(context, 400, "Invalid value for 'model': dall-e-3 does not support image edits.", "invalid_request_error", "model", "invalid_value");
            }

            if (files.FirstOrDefault(f => f.Name is not ("image[]" or "image")) is { } stray)
            {
                return Error(context, 400, $"Unknown parameter: '{stray.Name}'.", "invalid_request_error", stray.Name, "unknown_parameter");
            }

            if (files.Count == 0)
            {
                return Error(context, 400, "Missing required parameter: 'image'.", "invalid_request_error", "image", "missing_required_parameter");
            }

            if (files.Count > 16)
            {
                return Error(context, 400, $"Invalid 'image': array too long. Expected an array with maximum length 16, but got an array with length {files.Count} instead.", "invalid_request_error", "image", "array_above_max_length");
            }

            for (var i = 0; i < files.Count; i++)
            {
                if (ImageInspector.SniffContentType(files[i].Bytes) is not ("image/png" or "image/jpeg" or "image/webp"))
                {
                    return Error(context, 400, $"Invalid file 'image[{i}]': unsupported mimetype ('{files[i].ContentType}'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.", "invalid_request_error", "image", "invalid_image_format");
                }
            }

            return Answer(context, fields, files.Count);
        });

        app.MapGet("/files/{name}", (string name) =>
            _files.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, "image/png") : Results.NotFound());
    }

    private IResult Answer(HttpContext context, Dictionary<string, string> fields, int inputImages)
    {
        var model = fields.GetValueOrDefault("model", "dall-e-2");
        if (!Models.TryGetValue(model, out var rules))
        {
            return Error(context, 404, $"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", null, "model_not_found");
        }

        string[] allowed = inputImages > 0 ? [.. rules.Parameters, "input_fidelity", "mask"] : rules.Parameters;
        if (fields.Keys.FirstOrDefault(k => !allowed.Contains(k)) is { } unknown)
        {
            return Error(context, 400, $"Unknown parameter: '{unknown}'.", "invalid_request_error", unknown, "unknown_parameter");
        }

        var prompt = fields.GetValueOrDefault("prompt");
        if (string.IsNullOrEmpty(prompt))
        {
            return Error(context, 400, "Missing required parameter: 'prompt'.", "invalid_request_error", "prompt", "missing_required_parameter");
        }

        if (prompt.Length > rules.MaxPrompt)
        {
            return Error(context, 400, $"Invalid 'prompt': string too long. Expected a string with maximum length {rules.MaxPrompt}, but got a string with length {prompt.Length} instead.", "invalid_request_error", "prompt", "string_above_max_length");
        }

        var n = 1;
        if (fields.TryGetValue("n", out var nText) && (!int.TryParse(nText, NumberStyles.Integer, CultureInfo.InvariantCulture, out n) || n < 1 || n > 10))
        {
            return Error(context, 400, $"Invalid 'n': expected an integer from 1 to 10, but got {nText} instead.", "invalid_request_error", "n", "invalid_value");
        }

        if (!rules.GptImage && n != 1)
        {
            return Error(context, 400, "You must provide n=1 for this model.", "invalid_request_error", "n", null);
        }

        var size = fields.GetValueOrDefault("size", rules.Sizes[0]);
        var quality = fields.GetValueOrDefault("quality", rules.GptImage ? "auto" : "standard");
        var outputFormat = fields.GetValueOrDefault("output_format", "png");
        var responseFormat = fields.GetValueOrDefault("response_format", "url");
        foreach (var (name, value, supported) in new[]
                 {
                     ("size", size, rules.Sizes),
                     ("quality", quality, rules.Qualities),
                     ("output_format", outputFormat, new[] { "png", "jpeg", "webp" }),
                     ("response_format", responseFormat, new[] { "url", "b64_json" }),
                 })
        {
            if (!supported.Contains(value))
            {
                return Error(context, 400, $"Invalid value: '{value}'. Supported values are: {string.Join(", ", supported.Select(s => $"'{s}'"))}.", "invalid_request_error", name, "invalid_value");
            }
        }

        if (Failure(context, prompt, model, rules) is { } failure)
        {
            return failure;
        }

        var (width, height) = size == "auto" ? (1024, 1024) : Parse(size);
        var format = rules.GptImage ? outputFormat : "png";
        var image = Encode(format, width, height);
        var asUrl = !rules.GptImage && (responseFormat == "url" || prompt.Contains(AnswerWithUrl, StringComparison.Ordinal));
        var data = Enumerable.Range(0, n).Select(_ =>
        {
            if (!asUrl)
            {
                return rules.GptImage
                    ? (object)new { b64_json = Convert.ToBase64String(image) }
                    : new { b64_json = Convert.ToBase64String(image), revised_prompt = $"A detailed rendering of {prompt}" };
            }

            var name = $"img-{Guid.NewGuid():N}.png";
            _files[name] = image;
            // Shaped like OpenAI's signed blob URLs, whose query is a credential of its own.
            var url = new Uri(_server.BaseAddress, $"files/{name}?st=2026-11-01T00%3A00%3A00Z&se=2026-11-01T01%3A00%3A00Z&sig=fakeSignature123");
            return new { url = url.ToString(), revised_prompt = $"A detailed rendering of {prompt}" };
        }).ToArray();

        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!rules.GptImage)
        {
            return Results.Json(new { created, data }, Plain);
        }

        var text = TextTokens(prompt);
        var imageTokens = inputImages * ImageTokensPerInput;
        var output = n * OutputTokensPerImage(quality, size);
        return Results.Json(new
        {
            created,
            data,
            background = fields.GetValueOrDefault("background", "opaque"),
            output_format = format,
            quality = quality == "auto" ? "medium" : quality,
            size = $"{width}x{height}",
            usage = new
            {
                input_tokens = text + imageTokens,
                input_tokens_details = new { text_tokens = text, image_tokens = imageTokens },
                output_tokens = output,
                total_tokens = text + imageTokens + output,
            },
        }, Plain);
    }

    /// <summary>The error class the prompt asks for, in OpenAI's own shape, or null.</summary>
    private static IResult? Failure(HttpContext context, string prompt, string model, Rules rules)
    {
        bool Has(string marker) => prompt.Contains(marker, StringComparison.Ordinal);
        var limitMessage = $"Rate limit reached for {model} in organization org-fake on requests per min (RPM): Limit 5, Used 5, Requested 1.";

        if (Has(Moderated))
        {
            return rules.GptImage
                ? Error(context, 400, "Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID req_fake123.", "image_generation_user_error", null, "moderation_blocked")
                : Error(context, 400, "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.", "invalid_request_error", null, "content_policy_violation");
        }

        if (Has(OutOfQuota))
        {
            return Error(context, 429, "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.", "insufficient_quota", null, "insufficient_quota");
        }

        if (Has(BillingLimit))
        {
            return Error(context, 400, "Billing hard limit has been reached", "invalid_request_error", null, "billing_hard_limit_reached");
        }

        if (Has(RateLimitedMs))
        {
            return Error(context, 429, $"{limitMessage} Please try again in 2s.", "requests", null, "rate_limit_exceeded",
                ("retry-after-ms", "1500"), ("retry-after", "2"));
        }

        if (Has(RateLimitedReset))
        {
            return Error(context, 429, $"{limitMessage} Please try again in 1m30s.", "requests", null, "rate_limit_exceeded",
                ("x-ratelimit-limit-requests", "5"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1m30s"),
                ("x-ratelimit-limit-tokens", "100000"), ("x-ratelimit-remaining-tokens", "99000"), ("x-ratelimit-reset-tokens", "6ms"));
        }

        if (Has(RateLimitedQuietly))
        {
            return Error(context, 429, $"{limitMessage} Please try again in 20s.", "requests", null, "rate_limit_exceeded");
        }

        if (Has(RateLimited))
        {
            return Error(context, 429, $"{limitMessage} Please try again in 12s.", "requests", null, "rate_limit_exceeded",
                ("retry-after", "7"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "12s"));
        }

        if (Has(UnsupportedRegion))
        {
            return Error(context, 403, "Country, region, or territory not supported", "request_forbidden", null, "unsupported_country_region_territory");
        }

        if (Has(ServerError))
        {
            return Error(context, 500, "The server had an error while processing your request. Sorry about that!", "server_error", null, null);
        }

        if (Has(Overloaded))
        {
            return Error(context, 503, "The engine is currently overloaded, please try again later", "server_error", null, null, ("retry-after", "3"));
        }

        return null;
    }

    private static IResult? Unauthorized(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Error(context, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error", null, null);
        }

        if (header == $"Bearer {Key}")
        {
            return null;
        }

        // Like OpenAI: the key sent comes back, partly masked.
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : header;
        var masked = token.Length > 12 ? $"{token[..8]}{new string('*', token.Length - 12)}{token[^4..]}" : "****";
        return Error(context, 401, $"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", null, "invalid_api_key");
    }

    private static IResult Error(HttpContext context, int status, string message, string type, string? param, string? code, params (string Name, string Value)[] headers)
    {
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = new StringValues(value);
        }

        return Results.Json(new { error = new { message, type, param, code } }, Plain, statusCode: status);
    }

    private static (int Width, int Height) Parse(string size)
    {
        var parts = size.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static byte[] Encode(string format, int width, int height) =>
        Encoded.GetOrAdd((format, width, height), key => key.Format switch
        {
            "jpeg" => TestImages.Jpeg(key.Width, key.Height),
            "webp" => TestImages.Webp(key.Width, key.Height),
            _ => TestImages.Png(key.Width, key.Height),
        });

    // Property names exactly as written: OpenAI's bodies are snake_case already.
    private static readonly JsonSerializerOptions Plain = new();

    private sealed record Rules(bool GptImage, string[] Sizes, string[] Qualities, int MaxPrompt, string[] Parameters);
}

/// <summary>An edit request as the fake parsed it: the text fields and the file parts.</summary>
public sealed record ReceivedEdit(IReadOnlyDictionary<string, string> Fields, IReadOnlyList<ReceivedFile> Files);

public sealed record ReceivedFile(string Name, string FileName, string ContentType, byte[] Bytes);
