using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// KIE.ai's Flux Kontext API as the adapter meets it: <c>POST /api/v1/flux/kontext/generate</c> (bearer key; the checks
/// KIE makes: prompt, model, aspect ratio, output format, input image URL, safety tolerance 0-6 or 0-2 when editing)
/// answering <c>{code, msg, data: {taskId}}</c>; <c>GET /api/v1/flux/kontext/record-info?taskId=</c> moving the task on
/// by one state per poll (<c>successFlag</c> 0, then 1 with <c>response.resultImageUrl</c> served here); KIE's file
/// upload (<c>POST /api/file-base64-upload</c>, files served back under <c>/files/</c>); and callbacks. Errors arrive as
/// KIE sends them: inside HTTP 200 bodies (<c>{code: 401|402|422|429|433|455|500|501|505, msg}</c>), an unknown task as
/// <c>422 record is null.</c>, and a safety tolerance out of range as code 500.
/// </summary>
/// <remarks>
/// The prompt picks a behaviour: <c>refuse</c> (code 400, content policy), <c>broke</c> (402), <c>sub-key</c> (433),
/// <c>throttle</c> (HTTP 429 with <c>Retry-After: 11</c> and code 429), <c>busy</c> (HTTP 200, code 429), <c>maintenance</c>
/// (455), <c>server-error</c> (500), <c>disabled</c> (505), <c>bad-gateway</c> (HTTP 502 with an HTML page),
/// <c>credit-runs-out</c> (the second task of the prompt gets 402) on creation; <c>unsafe-output</c> (successFlag 3, errorCode
/// 400), <c>gen-fail</c> (3, 501), <c>create-fail</c> (2, 500), <c>one-fails</c> (the prompt's second task fails with 501),
/// <c>poll-limited</c> (the first record-info answers code 429), <c>never</c>, <c>slow</c> (success on the fifth poll) as task outcomes.
/// With <c>callBackUrl</c> the task completes by itself after <see cref="CallbackDelay"/> and the fake POSTs the callback,
/// signed with <see cref="HmacKey"/> when the fake was started with it (KIE's webhookHmacKey feature).
/// </remarks>
public sealed class KieFake : IAsyncDisposable
{
    public const string ApiKey = "kie-fake-4b2e9d71c0a35f86e1d7";
    public const string HmacKey = "kie-webhook-hmac-fake-2f9c61b0";
    public const string Pro = "flux-kontext-pro";
    public const string Max = "flux-kontext-max";
    public const string GeneratePath = "/api/v1/flux/kontext/generate";
    public const string RecordInfoPath = "/api/v1/flux/kontext/record-info";
    public const string UploadPath = "/api/file-base64-upload";

    /// <summary>About one megapixel per ratio, as Flux Kontext makes them.</summary>
    public static readonly IReadOnlyDictionary<string, (int Width, int Height)> Sizes = new Dictionary<string, (int, int)>
    {
        ["21:9"] = (1568, 672),
        ["16:9"] = (1392, 752),
        ["4:3"] = (1184, 880),
        ["1:1"] = (1024, 1024),
        ["3:4"] = (880, 1184),
        ["9:16"] = (752, 1392),
    };

    private static readonly HttpClient CallbackClient = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly ConcurrentDictionary<string, FakeTask> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _createdPerPrompt = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CallbackDelivery> _deliveries = new();
    private readonly string? _hmacKey;

    private KieFake(string? hmacKey) => _hmacKey = hmacKey;

    public FakeProviderServer Server { get; private set; } = null!;

    public TimeSpan CallbackDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Every callback POST made, in order.</summary>
    public IReadOnlyList<CallbackDelivery> Deliveries => [.. _deliveries];

    /// <param name="hmacKey">The account's webhookHmacKey; null for an account that has not enabled signed callbacks.</param>
    public static async Task<KieFake> StartAsync(string? hmacKey = HmacKey)
    {
        var fake = new KieFake(hmacKey);
        fake.Server = await FakeProviderServer.StartAsync(app =>
        {
            app.MapPost(GeneratePath, (HttpRequest request) => fake.GenerateAsync(request.HttpContext));
            app.MapGet(RecordInfoPath, (HttpRequest request) => fake.RecordInfo(request.HttpContext));
            app.MapPost(UploadPath, (HttpRequest request) => fake.UploadAsync(request.HttpContext));
            app.MapGet("/results/{taskId}.{ext}", (string taskId, string ext) =>
                fake._tasks.TryGetValue(taskId, out var task)
                    ? Results.Bytes(ext == "png" ? TestImages.Png(task.Width, task.Height) : TestImages.Jpeg(task.Width, task.Height), ext == "png" ? "image/png" : "image/jpeg")
                    : Results.NotFound());
            app.MapGet("/files/{**path}", (string path) =>
                fake._files.TryGetValue(path, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        });
        return fake;
    }

    /// <summary>KIE's signature: <c>base64(HMAC-SHA256(key, taskId + "." + timestamp))</c>.</summary>
    public static string Sign(string taskId, string timestamp, string key = HmacKey) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"{taskId}.{timestamp}")));

    /// <summary>The body KIE posts when a task succeeded.</summary>
    public static string CallbackBody(string taskId, int code = 200) => JsonSerializer.Serialize(new
    {
        code,
        msg = code == 200 ? "Image generated successfully." : "Image generation failed.",
        data = new { taskId, info = new { originImageUrl = "https://cdn.example.test/original.png", resultImageUrl = "https://tempfile.example.test/result.png" } },
    });

    /// <summary>A callback as the worker would receive it, signed at <paramref name="signedAt"/> (now) with <paramref name="key"/>.</summary>
    public static ProviderWebhookRequest SignedCallback(
        string taskId, string? body = null, DateTimeOffset? signedAt = null, DateTimeOffset? receivedAt = null, string key = HmacKey)
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = (signedAt ?? now).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>
        {
            ["X-Webhook-Timestamp"] = timestamp,
            ["X-Webhook-Signature"] = Sign(taskId, timestamp, key),
        };
        return new ProviderWebhookRequest(headers, Encoding.UTF8.GetBytes(body ?? CallbackBody(taskId)), receivedAt ?? now);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private async Task<IResult> GenerateAsync(HttpContext context)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Code(422, "The request body is not valid JSON.");
        }

        var prompt = Text(body, "prompt");
        if (string.IsNullOrWhiteSpace(prompt))
        {
            return Code(422, "prompt is required");
        }

        var model = Text(body, "model") ?? Pro;
        if (model is not (Pro or Max))
        {
            return Code(422, $"model {model} is not supported; use flux-kontext-pro or flux-kontext-max");
        }

        var ratio = Text(body, "aspectRatio");
        if (ratio is not null && !Sizes.ContainsKey(ratio))
        {
            return Code(422, $"aspectRatio {ratio} is not supported");
        }

        var format = Text(body, "outputFormat") ?? "jpeg";
        if (format is not ("jpeg" or "png"))
        {
            return Code(422, $"outputFormat {format} is not supported; use jpeg or png");
        }

        var inputImage = Text(body, "inputImage");
        if (inputImage is not null && !(Uri.TryCreate(inputImage, UriKind.Absolute, out var inputUrl) && inputUrl.Scheme is "http" or "https"))
        {
            return Code(422, "inputImage must be a URL");
        }

        var tolerance = body.TryGetProperty("safetyTolerance", out var t) && t.TryGetInt32(out var parsed) ? parsed : 2;
        if (tolerance < 0 || tolerance > (inputImage is null ? 6 : 2))
        {
            return Code(500, $"safetyTolerance {tolerance} is out of range: {(inputImage is null ? "0-6 for generation" : "0-2 for editing")}");
        }

        var created = _createdPerPrompt.AddOrUpdate(prompt, 1, (_, n) => n + 1);
        if (Marker(prompt, "refuse"))
        {
            return Code(400, "Your prompt was flagged by our content policy moderation. Please revise it.");
        }

        if (Marker(prompt, "broke") || (Marker(prompt, "credit-runs-out") && created >= 2))
        {
            return Code(402, "Credits insufficient. Please top up your account.");
        }

        if (Marker(prompt, "sub-key"))
        {
            return Code(433, "Sub-key usage exceeds the limit.");
        }

        if (Marker(prompt, "throttle"))
        {
            context.Response.Headers.RetryAfter = "11";
            return Code(429, "Too many requests, please slow down.", httpStatus: 429);
        }

        if (Marker(prompt, "busy"))
        {
            return Code(429, "Request limit has been exceeded for this resource.");
        }

        if (Marker(prompt, "maintenance"))
        {
            return Code(455, "Service unavailable: the system is under maintenance.");
        }

        if (Marker(prompt, "server-error"))
        {
            return Code(500, "Server error, please try again later.");
        }

        if (Marker(prompt, "disabled"))
        {
            return Code(505, "The requested feature is currently disabled.");
        }

        if (Marker(prompt, "bad-gateway"))
        {
            return Results.Content("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", statusCode: 502);
        }

        var (width, height) = ratio is not null ? Sizes[ratio]
            : inputImage is not null && UploadedSize(inputImage) is { } uploaded ? uploaded
            : inputImage is not null ? Sizes["1:1"]
            : Sizes["16:9"];
        var task = new FakeTask(Guid.NewGuid().ToString("N"), prompt, model, format, width, height, created, body, Text(body, "callBackUrl"));
        _tasks[task.Id] = task;
        if (task.CallBackUrl is not null)
        {
            _ = Task.Run(() => CompleteAndCallBackAsync(task));
        }

        return Results.Json(new { code = 200, msg = "success", data = new { taskId = task.Id } });
    }

    private IResult RecordInfo(HttpContext context)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        var taskId = context.Request.Query["taskId"].ToString();
        if (!_tasks.TryGetValue(taskId, out var task))
        {
            return Code(422, "record is null.");
        }

        var poll = Interlocked.Increment(ref task.Polls);
        if (Marker(task.Prompt, "poll-limited") && poll == 1)
        {
            return Code(429, "Request limit has been exceeded for this resource.");
        }

        var doneAt = Marker(task.Prompt, "slow") ? 5 : Marker(task.Prompt, "poll-limited") ? 3 : 2;
        if (!Marker(task.Prompt, "never") && poll >= doneAt)
        {
            task.Completed = true;
        }

        var (flag, errorCode, errorMessage) = task.Completed ? Outcome(task) : (0, (int?)null, string.Empty);
        var origin = Server.BaseAddress.AbsoluteUri.TrimEnd('/');
        return Results.Json(new
        {
            code = 200,
            msg = "success",
            data = new
            {
                taskId = task.Id,
                paramJson = task.Body.GetRawText(),
                completeTime = flag == 0 ? null : "2026-11-02T10:15:09Z",
                response = flag == 1 ? new { originImageUrl = $"{origin}/results/{task.Id}.{Extension(task)}", resultImageUrl = $"{origin}/results/{task.Id}.{Extension(task)}" } : null,
                successFlag = flag,
                errorCode,
                errorMessage,
                createTime = "2026-11-02T10:15:01Z",
            },
        });
    }

    private async Task<IResult> UploadAsync(HttpContext context)
    {
        if (Unauthorized(context) is { } refused)
        {
            return refused;
        }

        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        var body = document.RootElement;
        var data = Text(body, "base64Data") ?? string.Empty;
        var comma = data.IndexOf(',', StringComparison.Ordinal);
        var base64 = data.StartsWith("data:", StringComparison.Ordinal) && comma > 0 ? data[(comma + 1)..] : data;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return Results.Json(new { success = false, code = 400, msg = "Invalid base64 data" });
        }

        var path = $"{Text(body, "uploadPath") ?? "uploads"}/{Text(body, "fileName") ?? Guid.NewGuid().ToString("N")}";
        _files[path] = bytes;
        return Results.Json(new
        {
            success = true,
            code = 200,
            msg = "File uploaded successfully",
            data = new
            {
                fileName = Path.GetFileName(path),
                filePath = path,
                downloadUrl = $"{Server.BaseAddress.AbsoluteUri.TrimEnd('/')}/files/{path}",
                fileSize = bytes.Length,
                mimeType = "image/png",
                uploadedAt = "2026-11-02T10:15:00.000Z",
            },
        });
    }

    private (int Flag, int? ErrorCode, string ErrorMessage) Outcome(FakeTask task) =>
        Marker(task.Prompt, "unsafe-output") ? (3, 400, "The generated image was flagged by content moderation as sensitive.")
        : Marker(task.Prompt, "gen-fail") || (Marker(task.Prompt, "one-fails") && task.Index == 2) ? (3, 501, "Generation failed, please try again later.")
        : Marker(task.Prompt, "create-fail") ? (2, 500, "Failed to create the task.")
        : (1, null, string.Empty);

    private async Task CompleteAndCallBackAsync(FakeTask task)
    {
        await Task.Delay(CallbackDelay);
        task.Completed = true;
        var (flag, errorCode, errorMessage) = Outcome(task);
        var origin = Server.BaseAddress.AbsoluteUri.TrimEnd('/');
        var body = JsonSerializer.SerializeToUtf8Bytes(flag == 1
            ? new { code = 200, msg = "Image generated successfully.", data = new { taskId = task.Id, info = (object?)new { originImageUrl = $"{origin}/results/{task.Id}.{Extension(task)}", resultImageUrl = $"{origin}/results/{task.Id}.{Extension(task)}" } } }
            : new { code = errorCode ?? 500, msg = errorMessage, data = new { taskId = task.Id, info = (object?)null } });
        for (var attempt = 0; attempt < 4; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, task.CallBackUrl) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new("application/json");
            if (_hmacKey is not null)
            {
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                message.Headers.TryAddWithoutValidation("X-Webhook-Timestamp", timestamp);
                message.Headers.TryAddWithoutValidation("X-Webhook-Signature", Sign(task.Id, timestamp, _hmacKey));
            }

            try
            {
                using var response = await CallbackClient.SendAsync(message);
                _deliveries.Enqueue(new CallbackDelivery(task.CallBackUrl!, (int)response.StatusCode, body));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                _deliveries.Enqueue(new CallbackDelivery(task.CallBackUrl!, 0, body));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * (attempt + 1)));
        }
    }

    private (int Width, int Height)? UploadedSize(string url)
    {
        var marker = "/files/";
        var at = url.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0 || !url.StartsWith(Server.BaseAddress.AbsoluteUri, StringComparison.Ordinal) || !_files.TryGetValue(url[(at + marker.Length)..], out var bytes))
        {
            return null;
        }

        return ImageInspector.TryInspect(bytes, out var details) ? (details.Width, details.Height) : null;
    }

    private static string Extension(FakeTask task) => task.Format == "png" ? "png" : "jpeg";

    private static bool Marker(string prompt, string marker) => prompt.Contains(marker, StringComparison.Ordinal);

    private static IResult? Unauthorized(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() == $"Bearer {ApiKey}"
            ? null
            : Code(401, "You do not have access permissions: the API key is missing or invalid.");

    private static IResult Code(int code, string msg, int httpStatus = 200) =>
        Results.Json(new { code, msg, data = (object?)null }, statusCode: httpStatus);

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>One callback POST the fake made: where, what came back (0 when the connection failed), and the exact body.</summary>
    public sealed record CallbackDelivery(string Url, int Status, byte[] Body);

    private sealed class FakeTask(string id, string prompt, string model, string format, int width, int height, int index, JsonElement body, string? callBackUrl)
    {
        public int Polls;

        public volatile bool Completed;

        public string Id { get; } = id;

        public string Prompt { get; } = prompt;

        public string Model { get; } = model;

        public string Format { get; } = format;

        public int Width { get; } = width;

        public int Height { get; } = height;

        /// <summary>Which task of its prompt this is (1 for the first).</summary>
        public int Index { get; } = index;

        public JsonElement Body { get; } = body;

        public string? CallBackUrl { get; } = callBackUrl;
    }
}
