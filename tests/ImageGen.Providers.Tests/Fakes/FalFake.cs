using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// fal.ai's queue API as the adapter meets it: <c>POST /{owner}/{app}[/{path}]</c> (<c>Authorization: Key</c>, optional
/// <c>?fal_webhook=</c>) answering <c>{request_id, status_url, response_url, cancel_url}</c> with the URLs under the app
/// only (<c>/fal-ai/flux/requests/{id}</c>, as fal does); <c>GET …/status</c> moving the request on by one state per
/// poll (IN_QUEUE 202, IN_PROGRESS 202, COMPLETED 200); <c>GET …/requests/{id}</c> with the output or the request's
/// error; <c>PUT …/cancel</c>; the images it names, served here; and its webhook key set at
/// <c>/.well-known/jwks.json</c>. Errors in fal's shapes: <c>{"detail": "…"}</c>, validation arrays
/// <c>{"detail": [{"loc", "msg", "type"}]}</c>, request errors with <c>error_type</c> and <c>X-Fal-Error-Type</c>.
/// </summary>
/// <remarks>
/// Input is validated when the request runs, as fal's queue does: the result of a request with a bad
/// <c>image_size</c>, <c>num_images</c>, <c>output_format</c> or <c>safety_tolerance</c> is a 422 array.
/// The prompt picks a behaviour: <c>locked</c> (403, out of balance), <c>throttle</c> (429, <c>Retry-After: 9</c>),
/// <c>server-error</c> (500) on submission; <c>refuse</c> (422 <c>content_policy_violation</c>), <c>runner-down</c>
/// (503 <c>runner_disconnected</c>), <c>timeout</c> (504 <c>request_timeout</c>), <c>nsfw-all</c> / <c>nsfw-some</c>
/// (<c>has_nsfw_concepts</c> all / the first true) as results; <c>never</c> (IN_PROGRESS forever), <c>slow</c> (COMPLETED on
/// the sixth poll), <c>status-unavailable</c> (the first four status GETs, one poll and its three retries, answer 503).
/// With <c>fal_webhook</c> the request completes by itself after <see cref="WebhookDelay"/> and the fake POSTs the
/// signed webhook there (Ed25519 with the key its JWKS serves), retrying a few times, as fal does.
/// </remarks>
public sealed class FalFake : IAsyncDisposable
{
    public const string ApiKey = "0d3c7a51-fake-4b1e-9f2a-6c8d1e0b7a93:5be0c1f4a9d27e36";
    public const string UserId = "fake-fal-user-8c41";
    public const string Schnell = "fal-ai/flux/schnell";
    public const string Dev = "fal-ai/flux/dev";
    public const string Pro = "fal-ai/flux-pro/v1.1";
    public const string JwksPath = "/.well-known/jwks.json";

    private static readonly HashSet<string> Models = [Schnell, Dev, Pro];
    private static readonly Dictionary<string, (int Width, int Height)> Presets = new()
    {
        ["square_hd"] = (1024, 1024),
        ["square"] = (512, 512),
        ["portrait_4_3"] = (768, 1024),
        ["portrait_16_9"] = (576, 1024),
        ["landscape_4_3"] = (1024, 768),
        ["landscape_16_9"] = (1024, 576),
    };

    private static readonly HttpClient WebhookClient = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly ConcurrentDictionary<string, FakeRequest> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<WebhookDelivery> _deliveries = new();
    private volatile SigningKey _key = SigningKey.Create();

    private FalFake()
    {
    }

    public FakeProviderServer Server { get; private set; } = null!;

    public Uri JwksUrl => Server.Url(JwksPath);

    /// <summary>How long a request sent with a webhook takes before it completes and the webhook goes out.</summary>
    public TimeSpan WebhookDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Every webhook POST made, in order.</summary>
    public IReadOnlyList<WebhookDelivery> Deliveries => [.. _deliveries];

    public static string StatusPath(string app, string requestId) => $"/{app}/requests/{requestId}/status";

    public static string ResultPath(string app, string requestId) => $"/{app}/requests/{requestId}";

    public static string CancelPath(string app, string requestId) => $"/{app}/requests/{requestId}/cancel";

    public static async Task<FalFake> StartAsync()
    {
        var fake = new FalFake();
        fake.Server = await FakeProviderServer.StartAsync(app =>
        {
            app.MapPost("/{owner}/{name}/{**path}", (string owner, string name, string? path, HttpContext context) =>
                fake.SubmitAsync(context, path is { Length: > 0 } ? $"{owner}/{name}/{path}" : $"{owner}/{name}"));
            app.MapGet("/{owner}/{name}/requests/{id}/status", (string owner, string name, string id, HttpContext context) =>
                fake.Status(context, $"{owner}/{name}", id));
            app.MapGet("/{owner}/{name}/requests/{id}", (string owner, string name, string id, HttpContext context) =>
                fake.Result(context, $"{owner}/{name}", id));
            app.MapPut("/{owner}/{name}/requests/{id}/cancel", (string owner, string name, string id, HttpContext context) =>
                fake.Cancel(context, $"{owner}/{name}", id));
            app.MapGet("/files/{id}/{index:int}.{ext}", (string id, int index, string ext) =>
                fake._requests.TryGetValue(id, out var request) && Size(request.Input) is { } size
                    ? Results.Bytes(ext == "png" ? TestImages.Png(size.Width, size.Height) : TestImages.Jpeg(size.Width, size.Height), ext == "png" ? "image/png" : "image/jpeg")
                    : Results.NotFound());
            app.MapGet(JwksPath, () => Results.Json(new { keys = new[] { fake._key.Jwk() } }));
        });
        return fake;
    }

    /// <summary>fal rotates its signing key: the key set now serves only a new one.</summary>
    public void RotateKey() => _key = SigningKey.Create();

    /// <summary>A key fal never published, for forged webhooks.</summary>
    public static Ed25519PrivateKeyParameters ForeignKey() => SigningKey.Create().Private;

    /// <summary>The four <c>X-Fal-Webhook-*</c> headers fal sends with <paramref name="body"/>, signed with the served key or <paramref name="key"/>.</summary>
    public Dictionary<string, string> SignedHeaders(string requestId, byte[] body, DateTimeOffset signedAt, Ed25519PrivateKeyParameters? key = null, string userId = UserId)
    {
        var timestamp = signedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");
        var signer = new Ed25519Signer();
        signer.Init(forSigning: true, key ?? _key.Private);
        signer.BlockUpdate(message, 0, message.Length);
        return new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["X-Fal-Webhook-Request-Id"] = requestId,
            ["X-Fal-Webhook-User-Id"] = userId,
            ["X-Fal-Webhook-Timestamp"] = timestamp,
            ["X-Fal-Webhook-Signature"] = Convert.ToHexStringLower(signer.GenerateSignature()),
        };
    }

    /// <summary>A webhook as the worker would receive it: a completed request's body, signed at <paramref name="signedAt"/> (now).</summary>
    public ProviderWebhookRequest SignedWebhook(
        string requestId, string? body = null, DateTimeOffset? signedAt = null, DateTimeOffset? receivedAt = null,
        Ed25519PrivateKeyParameters? key = null, string userId = UserId)
    {
        var bytes = Encoding.UTF8.GetBytes(body ?? WebhookBody(requestId));
        var now = DateTimeOffset.UtcNow;
        return new ProviderWebhookRequest(SignedHeaders(requestId, bytes, signedAt ?? now, key, userId), bytes, receivedAt ?? now);
    }

    /// <summary>The body fal posts when a request completed.</summary>
    public static string WebhookBody(string requestId, string status = "OK") => JsonSerializer.Serialize(new
    {
        request_id = requestId,
        gateway_request_id = requestId,
        status,
        payload = new { images = new[] { new { url = "https://v3.fal.media/files/fake/image.png", width = 1024, height = 1024, content_type = "image/png" } }, seed = 42 },
    });

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private async Task<IResult> SubmitAsync(HttpContext context, string model)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        if (!Models.Contains(model))
        {
            return Results.Json(new { detail = $"Application '{model}' not found" }, statusCode: 404);
        }

        JsonElement input;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            input = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Results.Json(new { detail = new[] { new { loc = new[] { "body" }, msg = "Input should be a valid dictionary", type = "dict_type" } } }, statusCode: 422);
        }

        var prompt = Text(input, "prompt") ?? string.Empty;
        if (prompt.Contains("locked", StringComparison.Ordinal))
        {
            return Results.Json(new { detail = "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing." }, statusCode: 403);
        }

        if (prompt.Contains("throttle", StringComparison.Ordinal))
        {
            context.Response.Headers.RetryAfter = "9";
            return Results.Json(new { detail = "Too many concurrent requests, slow down." }, statusCode: 429);
        }

        if (prompt.Contains("server-error", StringComparison.Ordinal))
        {
            return Results.Json(new { detail = "Internal server error" }, statusCode: 500);
        }

        var app = string.Join('/', model.Split('/').Take(2));
        var webhook = context.Request.Query["fal_webhook"].ToString();
        var request = new FakeRequest(Guid.NewGuid().ToString(), model, app, prompt, input, webhook.Length > 0 ? webhook : null);
        _requests[request.Id] = request;
        if (request.Webhook is not null)
        {
            _ = Task.Run(() => CompleteAndNotifyAsync(request));
        }

        var origin = Server.BaseAddress.AbsoluteUri.TrimEnd('/');
        return Results.Json(new
        {
            request_id = request.Id,
            gateway_request_id = request.Id,
            status = "IN_QUEUE",
            queue_position = 0,
            response_url = origin + ResultPath(app, request.Id),
            status_url = origin + StatusPath(app, request.Id),
            cancel_url = origin + CancelPath(app, request.Id),
        });
    }

    private IResult Status(HttpContext context, string app, string id)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        if (!_requests.TryGetValue(id, out var request) || request.App != app)
        {
            return Results.Json(new { detail = "Request not found" }, statusCode: 404);
        }

        var poll = Interlocked.Increment(ref request.Polls);
        if (request.Prompt.Contains("status-unavailable", StringComparison.Ordinal) && poll <= 4)
        {
            return Results.Json(new { detail = "Service temporarily unavailable" }, statusCode: 503);
        }

        var doneAt = request.Prompt.Contains("slow", StringComparison.Ordinal) ? 6 : request.Prompt.Contains("status-unavailable", StringComparison.Ordinal) ? 7 : 3;
        if (!request.Prompt.Contains("never", StringComparison.Ordinal) && poll >= doneAt)
        {
            request.Completed = true;
        }

        var responseUrl = Server.BaseAddress.AbsoluteUri.TrimEnd('/') + ResultPath(app, id);
        return request.Completed
            ? Results.Json(new { status = "COMPLETED", response_url = responseUrl, logs = (object?)null, metrics = new { inference_time = 0.42 } })
            : poll == 1
                ? Results.Json(new { status = "IN_QUEUE", queue_position = 0, response_url = responseUrl }, statusCode: 202)
                : Results.Json(new { status = "IN_PROGRESS", response_url = responseUrl, logs = (object?)null }, statusCode: 202);
    }

    private IResult Result(HttpContext context, string app, string id)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        if (!_requests.TryGetValue(id, out var request) || request.App != app)
        {
            return Results.Json(new { detail = "Request not found" }, statusCode: 404);
        }

        if (!request.Completed)
        {
            return Results.Json(new { detail = "Request is still in progress" }, statusCode: 400);
        }

        var (status, body, errorType) = Outcome(request);
        if (errorType is not null)
        {
            context.Response.Headers["X-Fal-Error-Type"] = errorType;
        }

        return Results.Json(body, statusCode: status);
    }

    private IResult Cancel(HttpContext context, string app, string id)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        if (!_requests.TryGetValue(id, out var request) || request.App != app)
        {
            return Results.Json(new { status = "NOT_FOUND" }, statusCode: 404);
        }

        if (request.Completed)
        {
            return Results.Json(new { status = "ALREADY_COMPLETED" }, statusCode: 400);
        }

        request.Canceled = true;
        return Results.Json(new { status = "CANCELLATION_REQUESTED" }, statusCode: 202);
    }

    /// <summary>What the request came to: HTTP status, body, and the request error type when it failed on the platform.</summary>
    private (int Status, object Body, string? ErrorType) Outcome(FakeRequest request)
    {
        var prompt = request.Prompt;
        if (prompt.Contains("refuse", StringComparison.Ordinal))
        {
            return (422, new
            {
                detail = new[]
                {
                    new { loc = new[] { "body", "prompt" }, msg = "The content was flagged by a content checker.", type = "content_policy_violation", url = "https://docs.fal.ai/errors#content_policy_violation", input = prompt },
                },
            }, null);
        }

        if (prompt.Contains("runner-down", StringComparison.Ordinal))
        {
            return (503, new { detail = "Runner disconnected", error_type = "runner_disconnected" }, "runner_disconnected");
        }

        if (prompt.Contains("timeout", StringComparison.Ordinal))
        {
            return (504, new { detail = "Request timed out", error_type = "request_timeout" }, "request_timeout");
        }

        if (Validate(request) is { Count: > 0 } problems)
        {
            return (422, new { detail = problems }, null);
        }

        var size = Size(request.Input)!.Value;
        var count = request.Input.TryGetProperty("num_images", out var n) ? n.GetInt32() : 1;
        var format = Text(request.Input, "output_format") ?? "jpeg";
        var origin = Server.BaseAddress.AbsoluteUri.TrimEnd('/');
        var flags = Enumerable.Range(0, count).Select(i =>
            prompt.Contains("nsfw-all", StringComparison.Ordinal) || (i == 0 && prompt.Contains("nsfw-some", StringComparison.Ordinal))).ToArray();
        return (200, new
        {
            images = Enumerable.Range(0, count).Select(i => new
            {
                url = $"{origin}/files/{request.Id}/{i}.{(format == "png" ? "png" : "jpeg")}",
                width = size.Width,
                height = size.Height,
                content_type = format == "png" ? "image/png" : "image/jpeg",
            }).ToArray(),
            timings = new { inference = 0.42 },
            seed = request.Input.TryGetProperty("seed", out var seed) ? seed.GetInt64() : 1234567,
            has_nsfw_concepts = flags,
            prompt,
        }, null);
    }

    private static List<object> Validate(FakeRequest request)
    {
        var input = request.Input;
        var problems = new List<object>();
        void Problem(string[] loc, string msg, string type) => problems.Add(new { loc, msg, type });

        if (string.IsNullOrEmpty(Text(input, "prompt")))
        {
            Problem(["body", "prompt"], "Field required", "missing");
        }

        if (Size(input) is null)
        {
            Problem(["body", "image_size"], "Input should be a valid preset name or an object with width and height of 1 to 14142", "value_error");
        }

        if (input.TryGetProperty("num_images", out var n) && (n.ValueKind != JsonValueKind.Number || n.GetInt32() is < 1 or > 4))
        {
            Problem(["body", "num_images"], "Input should be less than or equal to 4", "less_than_equal");
        }

        if (Text(input, "output_format") is { } format && format is not ("jpeg" or "png"))
        {
            Problem(["body", "output_format"], "Input should be 'jpeg' or 'png'", "enum");
        }

        if (input.TryGetProperty("safety_tolerance", out var tolerance)
            && (request.Model != Pro || tolerance.ValueKind != JsonValueKind.String || tolerance.GetString() is not ("1" or "2" or "3" or "4" or "5" or "6")))
        {
            Problem(["body", "safety_tolerance"], "Input should be '1', '2', '3', '4', '5' or '6'", "enum");
        }

        return problems;
    }

    private static (int Width, int Height)? Size(JsonElement input)
    {
        if (!input.TryGetProperty("image_size", out var size))
        {
            return Presets["landscape_4_3"];
        }

        if (size.ValueKind == JsonValueKind.String)
        {
            return Presets.TryGetValue(size.GetString()!, out var preset) ? preset : null;
        }

        return size.ValueKind == JsonValueKind.Object
               && size.TryGetProperty("width", out var w) && w.TryGetInt32(out var width) && width is >= 1 and <= 14142
               && size.TryGetProperty("height", out var h) && h.TryGetInt32(out var height) && height is >= 1 and <= 14142
            ? (width, height)
            : null;
    }

    private async Task CompleteAndNotifyAsync(FakeRequest request)
    {
        await Task.Delay(WebhookDelay);
        request.Completed = true;
        var (status, result, _) = Outcome(request);
        var body = JsonSerializer.SerializeToUtf8Bytes(status == 200
            ? new { request_id = request.Id, gateway_request_id = request.Id, status = "OK", payload = result, error = (string?)null }
            : (object)new { request_id = request.Id, gateway_request_id = request.Id, status = "ERROR", payload = result, error = $"Invalid status code: {status}" });
        for (var attempt = 0; attempt < 4; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, request.Webhook) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new("application/json");
            foreach (var (name, value) in SignedHeaders(request.Id, body, DateTimeOffset.UtcNow))
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            try
            {
                using var response = await WebhookClient.SendAsync(message);
                _deliveries.Enqueue(new WebhookDelivery(request.Webhook!, (int)response.StatusCode, body));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                _deliveries.Enqueue(new WebhookDelivery(request.Webhook!, 0, body));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * (attempt + 1)));
        }
    }

    private static IResult? Unauthorized(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() == $"Key {ApiKey}"
            ? null
            : Results.Json(new { detail = "No user found for Key ID and Secret" }, statusCode: 401);

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>One webhook POST the fake made: where, what came back (0 when the connection failed), and the exact body.</summary>
    public sealed record WebhookDelivery(string Url, int Status, byte[] Body);

    private sealed class FakeRequest(string id, string model, string app, string prompt, JsonElement input, string? webhook)
    {
        public int Polls;

        public string Id { get; } = id;

        public string Model { get; } = model;

        public string App { get; } = app;

        public string Prompt { get; } = prompt;

        public JsonElement Input { get; } = input;

        public string? Webhook { get; } = webhook;

        public volatile bool Completed;

        public volatile bool Canceled;
    }

    private sealed record SigningKey(Ed25519PrivateKeyParameters Private, string Kid)
    {
        public static SigningKey Create()
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            return new SigningKey((Ed25519PrivateKeyParameters)generator.GenerateKeyPair().Private, Guid.NewGuid().ToString("N")[..12]);
        }

        public object Jwk() => new
        {
            kty = "OKP",
            crv = "Ed25519",
            x = Base64Url.EncodeToString(Private.GeneratePublicKey().GetEncoded()),
            kid = Kid,
            use = "sig",
            alg = "EdDSA",
        };
    }
}
