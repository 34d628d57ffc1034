using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageGen.Providers.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Replicate's predictions API as the adapter meets it, under <c>/v1</c>: <c>POST /v1/models/{owner}/{name}/predictions</c>
/// for FLUX.1 [schnell], FLUX.1 [dev] and FLUX 1.1 [pro] (bearer token; the input checks the model schemas make, answered
/// 422 in Replicate's problem-details shape; <c>Prefer: wait[=N]</c> holds the request until the prediction ends or N seconds
/// pass, and without it the answer is the prediction still <c>starting</c>), <c>GET /v1/predictions/{id}</c>,
/// <c>POST /v1/predictions/{id}/cancel</c>, <c>GET /v1/webhooks/default/secret</c>, and the output files themselves under
/// <c>/files/</c> (real images of the size the aspect ratio and megapixels make, in the asked format).
/// </summary>
/// <remarks>
/// <para>A prediction that names a <c>webhook</c> (and lets <c>completed</c> through its filter) is POSTed to it when it ends,
/// as Replicate does: the prediction as the body, signed with <see cref="Secret"/> the Standard Webhooks way
/// (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature: v1,&lt;base64&gt;</c>), retried a few times; every
/// attempt is in <see cref="Deliveries"/>.</para>
/// <para>The prompt picks a behaviour: <c>billing</c> (402 insufficient credit), <c>throttle</c> (429 with <c>retry_after: 5</c> in the
/// body), <c>server-error</c> (500), <c>nsfw-all</c> (the prediction fails: "All generated images contained NSFW content"),
/// <c>some-nsfw</c> (one image fewer than asked), <c>odd-seed-flagged</c> (FLUX 1.1 [pro] fails with E005 for odd seeds),
/// <c>model-crash</c> (fails with a CUDA error), <c>never</c> (runs forever), <c>slow</c> (ends after <see cref="SlowDelay"/>),
/// <c>two-polls</c> (ends when it is read the second time). Anything else ends at once.</para>
/// </remarks>
public sealed class ReplicateFake : IAsyncDisposable
{
    /// <summary>The worker's own token.</summary>
    public const string ApiKey = "r8_FakeWorkerToken0c1T9mQe2vWb7kLz5nP8";

    /// <summary>Another account's token (a caller's own key): Replicate accepts it, but its webhooks are signed with that account's secret.</summary>
    public const string OtherAccountKey = "r8_FakeCallerToken5Hd2Lq9Xw4Tz7Mb1Nc6";

    /// <summary>The account's webhook signing secret (24 bytes, base64, after <c>whsec_</c>).</summary>
    public const string Secret = "whsec_C2FVsBQIhrscChlQYMXDlqsJNntx4ZaE";

    public const string Schnell = "black-forest-labs/flux-schnell";
    public const string Dev = "black-forest-labs/flux-dev";
    public const string Pro = "black-forest-labs/flux-1.1-pro";
    public const string SecretPath = "/v1/webhooks/default/secret";

    public static readonly IReadOnlyDictionary<string, (int Width, int Height)> AspectRatios = new Dictionary<string, (int, int)>
    {
        ["1:1"] = (1024, 1024), ["16:9"] = (1344, 768), ["21:9"] = (1536, 640), ["3:2"] = (1216, 832), ["2:3"] = (832, 1216),
        ["4:5"] = (896, 1088), ["5:4"] = (1088, 896), ["3:4"] = (896, 1152), ["4:3"] = (1152, 896), ["9:16"] = (768, 1344), ["9:21"] = (640, 1536),
    };

    private static readonly string[] ProAspectRatios = ["custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3"];
    private static readonly string[] Formats = ["webp", "jpg", "png"];

    private readonly ConcurrentDictionary<string, FakePrediction> _predictions = new(StringComparer.Ordinal);
    private readonly HttpClient _webhookClient = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource _stopping = new();
    private FakeProviderServer _server = null!;

    private ReplicateFake(TimeSpan slowDelay) => SlowDelay = slowDelay;

    public FakeProviderServer Server => _server;

    /// <summary>How long a <c>slow</c> prediction runs.</summary>
    public TimeSpan SlowDelay { get; }

    /// <summary>Every webhook delivery attempt, in order.</summary>
    public ConcurrentQueue<WebhookDelivery> Deliveries { get; } = new();

    public static string PredictionsPath(string model) => $"/v1/models/{model}/predictions";

    public static string PredictionPath(string id) => $"/v1/predictions/{id}";

    public static string CancelPath(string id) => $"/v1/predictions/{id}/cancel";

    public static async Task<ReplicateFake> StartAsync(TimeSpan? slowDelay = null)
    {
        var fake = new ReplicateFake(slowDelay ?? TimeSpan.FromSeconds(1.5));
        fake._server = await FakeProviderServer.StartAsync(app =>
        {
            app.MapPost("/v1/models/{owner}/{name}/predictions", (string owner, string name, HttpContext context) => fake.CreateAsync($"{owner}/{name}", context));
            app.MapGet("/v1/predictions/{id}", (string id, HttpContext context) => fake.Read(id, context));
            app.MapPost("/v1/predictions/{id}/cancel", (string id, HttpContext context) => fake.Cancel(id, context));
            app.MapGet(SecretPath, (HttpContext context) => Authorized(context) ? Results.Json(new { key = Secret }) : Unauthenticated());
            app.MapGet("/files/{id}/{file}", (string id, string file) => fake.File(id, file));
        });
        return fake;
    }

    /// <summary>The <c>webhook-signature</c> value Replicate sends for <paramref name="body"/> (one <c>v1,</c> signature).</summary>
    public static string Signature(string messageId, long timestamp, string body, string secret = Secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{messageId}.{timestamp.ToString(CultureInfo.InvariantCulture)}.{body}");
        return $"v1,{Convert.ToBase64String(HMACSHA256.HashData(key, signed))}";
    }

    /// <summary>
    /// A webhook as the worker would receive it: <paramref name="body"/> signed at <paramref name="signedAt"/> with
    /// <paramref name="secret"/>, received at <paramref name="receivedAt"/> (default: when signed). <paramref name="without"/> leaves headers
    /// out; <paramref name="signature"/> replaces the signature header (several signatures, garbage).
    /// </summary>
    public static ProviderWebhookRequest Webhook(
        string body, DateTimeOffset signedAt, string secret = Secret, DateTimeOffset? receivedAt = null, string? signature = null,
        params string[] without)
    {
        var messageId = $"msg_{Guid.NewGuid():N}";
        var timestamp = signedAt.ToUnixTimeSeconds();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["webhook-id"] = messageId,
            ["webhook-timestamp"] = timestamp.ToString(CultureInfo.InvariantCulture),
            ["webhook-signature"] = signature ?? Signature(messageId, timestamp, body, secret),
            ["Content-Type"] = "application/json",
        };
        foreach (var name in without)
        {
            headers.Remove(name);
        }

        return new ProviderWebhookRequest(headers, Encoding.UTF8.GetBytes(body), receivedAt ?? signedAt, new Uri("/v1/webhooks/replicate", UriKind.Relative));
    }

    /// <summary>A prediction as webhooks carry it.</summary>
    public static string PredictionBody(string id, string status) =>
        JsonSerializer.Serialize(new
        {
            id,
            model = Schnell,
            version = "",
            input = new { prompt = "a lighthouse" },
            output = status == "succeeded" ? new[] { $"https://replicate.delivery/xezq/{id}/out-0.png" } : null,
            error = (string?)null,
            status,
            urls = new { get = $"https://api.replicate.com/v1/predictions/{id}", cancel = $"https://api.replicate.com/v1/predictions/{id}/cancel" },
        });

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _server.DisposeAsync();
        _webhookClient.Dispose();
        _stopping.Dispose();
    }

    private async Task<IResult> CreateAsync(string model, HttpContext context)
    {
        if (!Authorized(context))
        {
            return Unauthenticated();
        }

        if (model is not (Schnell or Dev or Pro))
        {
            return Problem(404, "Not found", "The requested resource could not be found.");
        }

        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            return Problem(400, "Bad request", "The request body is not valid JSON.");
        }

        if (body["input"] is not JsonObject input)
        {
            return Invalid("input", "required", "input is required");
        }

        var prompt = input["prompt"]?.GetValue<string>();
        if (string.IsNullOrEmpty(prompt))
        {
            return Invalid("input.prompt", "required", "prompt is required");
        }

        var format = input["output_format"]?.GetValue<string>() ?? "webp";
        if (!Formats.Contains(format))
        {
            return Invalid("input.output_format", "enum", $"output_format must be one of the following: \"{string.Join("\", \"", Formats)}\"");
        }

        var seed = input["seed"] is JsonValue s && s.TryGetValue<long>(out var number) ? number : Random.Shared.Next(65536);
        int width, height, outputs;
        if (model == Pro)
        {
            var ratio = input["aspect_ratio"]?.GetValue<string>() ?? "1:1";
            if (!ProAspectRatios.Contains(ratio))
            {
                return Invalid("input.aspect_ratio", "enum", $"aspect_ratio must be one of the following: \"{string.Join("\", \"", ProAspectRatios)}\"");
            }

            if (ratio == "custom")
            {
                width = input["width"]?.GetValue<int>() ?? 1024;
                height = input["height"]?.GetValue<int>() ?? 1024;
                if (width is < 256 or > 1440 || height is < 256 or > 1440)
                {
                    return Invalid(width is < 256 or > 1440 ? "input.width" : "input.height", "range", "Must be between 256 and 1440");
                }

                (width, height) = ((int)Math.Round(width / 32.0) * 32, (int)Math.Round(height / 32.0) * 32);
            }
            else
            {
                (width, height) = AspectRatios[ratio];
            }

            outputs = 1;
        }
        else
        {
            var ratio = input["aspect_ratio"]?.GetValue<string>() ?? "1:1";
            if (!AspectRatios.TryGetValue(ratio, out var size))
            {
                return Invalid("input.aspect_ratio", "enum", $"aspect_ratio must be one of the following: \"{string.Join("\", \"", AspectRatios.Keys)}\"");
            }

            var megapixels = input["megapixels"]?.GetValue<string>() ?? "1";
            if (megapixels is not ("1" or "0.25"))
            {
                return Invalid("input.megapixels", "enum", "megapixels must be one of the following: \"1\", \"0.25\"");
            }

            outputs = input["num_outputs"]?.GetValue<int>() ?? 1;
            if (outputs is < 1 or > 4)
            {
                return Invalid("input.num_outputs", outputs < 1 ? "greater_than_equal" : "less_than_equal",
                    outputs < 1 ? "Must be greater than or equal to 1" : "Must be less than or equal to 4");
            }

            (width, height) = megapixels == "0.25" ? (size.Width / 2, size.Height / 2) : size;
        }

        if (prompt.Contains("billing", StringComparison.Ordinal))
        {
            return Problem(402, "Insufficient credit",
                "You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait a few minutes before trying again.");
        }

        if (prompt.Contains("throttle", StringComparison.Ordinal))
        {
            return Results.Json(new { title = "Request was throttled.", detail = "Request was throttled. Your rate limit resets in ~30s.", status = 429, retry_after = 5 },
                statusCode: 429, contentType: "application/problem+json");
        }

        if (prompt.Contains("server-error", StringComparison.Ordinal))
        {
            return Problem(500, "Internal Server Error", "Something went wrong on our end. Please try again.");
        }

        var prediction = new FakePrediction(
            Guid.NewGuid().ToString("N")[..26], model, prompt, body["input"]!.ToJsonString(), format, width, height, outputs, seed,
            body["webhook"]?.GetValue<string>() is { } hook && WantsCompleted(body["webhook_events_filter"]) ? new Uri(hook) : null,
            $"{context.Request.Scheme}://{context.Request.Host}");
        _predictions[prediction.Id] = prediction;
        if (prompt.Contains("slow", StringComparison.Ordinal))
        {
            _ = FinishLaterAsync(prediction, SlowDelay);
        }
        else if (!prompt.Contains("never", StringComparison.Ordinal) && !prompt.Contains("two-polls", StringComparison.Ordinal))
        {
            Finish(prediction);
        }

        var wait = PreferWait(context.Request.Headers["Prefer"].ToString());
        if (wait is null)
        {
            // Without Prefer: wait the answer is the prediction as created, before it ran.
            return Results.Json(Snapshot(prediction, "starting"), statusCode: 201);
        }

        await Task.WhenAny(prediction.Done.Task, Task.Delay(wait.Value, context.RequestAborted));
        return Results.Json(Snapshot(prediction, null), statusCode: 201);
    }

    private IResult Read(string id, HttpContext context)
    {
        if (!Authorized(context))
        {
            return Unauthenticated();
        }

        if (!_predictions.TryGetValue(id, out var prediction))
        {
            return Problem(404, "Not found", "The requested resource could not be found.");
        }

        if (Interlocked.Increment(ref prediction.Reads) >= 2 && prediction.Prompt.Contains("two-polls", StringComparison.Ordinal))
        {
            Finish(prediction);
        }

        return Results.Json(Snapshot(prediction, null));
    }

    private IResult Cancel(string id, HttpContext context)
    {
        if (!Authorized(context))
        {
            return Unauthenticated();
        }

        if (!_predictions.TryGetValue(id, out var prediction))
        {
            return Problem(404, "Not found", "The requested resource could not be found.");
        }

        Finish(prediction, canceled: true);
        return Results.Json(Snapshot(prediction, null));
    }

    private IResult File(string id, string file)
    {
        if (!_predictions.TryGetValue(id, out var prediction))
        {
            return Results.NotFound();
        }

        return prediction.Format switch
        {
            "jpg" => Results.Bytes(TestImages.Jpeg(prediction.Width, prediction.Height), "image/jpeg"),
            "png" => Results.Bytes(TestImages.Png(prediction.Width, prediction.Height), "image/png"),
            _ => Results.Bytes(TestImages.Webp(prediction.Width, prediction.Height), "image/webp"),
        };
    }

    private async Task FinishLaterAsync(FakePrediction prediction, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stopping.Token);
            Finish(prediction);
        }
        catch (OperationCanceledException)
        {
            // The fake stopped first.
        }
    }

    /// <summary>Ends the prediction the way its prompt asks (once) and sends its webhook.</summary>
    private void Finish(FakePrediction prediction, bool canceled = false)
    {
        lock (prediction)
        {
            if (prediction.Status is not null)
            {
                return;
            }

            var prompt = prediction.Prompt;
            if (canceled)
            {
                prediction.Status = "canceled";
            }
            else if (prompt.Contains("nsfw-all", StringComparison.Ordinal))
            {
                (prediction.Status, prediction.Error) = ("failed", "All generated images contained NSFW content. Try running it again with a different prompt.");
            }
            else if (prompt.Contains("odd-seed-flagged", StringComparison.Ordinal) && prediction.Seed % 2 == 1)
            {
                (prediction.Status, prediction.Error) = ("failed", "The input or output was flagged as sensitive. Please try again with different inputs. (E005)");
            }
            else if (prompt.Contains("model-crash", StringComparison.Ordinal))
            {
                (prediction.Status, prediction.Error) = ("failed", "CUDA out of memory. Tried to allocate 2.00 GiB.");
            }
            else
            {
                prediction.Status = "succeeded";
                prediction.Made = prompt.Contains("some-nsfw", StringComparison.Ordinal) ? Math.Max(0, prediction.Outputs - 1) : prediction.Outputs;
            }

            prediction.CompletedAt = DateTimeOffset.UtcNow;
        }

        prediction.Done.TrySetResult();
        if (prediction.Webhook is not null)
        {
            _ = DeliverAsync(prediction);
        }
    }

    private async Task DeliverAsync(FakePrediction prediction)
    {
        var body = JsonSerializer.Serialize(Snapshot(prediction, null));
        var messageId = $"msg_{Guid.NewGuid():N}";
        for (var attempt = 1; attempt <= 3 && !_stopping.IsCancellationRequested; attempt++)
        {
            // Each attempt is signed afresh, with its own timestamp, as Replicate does.
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var message = new HttpRequestMessage(HttpMethod.Post, prediction.Webhook)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            message.Headers.Add("webhook-id", messageId);
            message.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            message.Headers.Add("webhook-signature", Signature(messageId, timestamp, body));
            message.Headers.UserAgent.ParseAdd("Replicate-Webhooks/1.0");
            try
            {
                using var response = await _webhookClient.SendAsync(message, _stopping.Token);
                Deliveries.Enqueue(new WebhookDelivery(prediction.Webhook!, attempt, (int)response.StatusCode, body));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                Deliveries.Enqueue(new WebhookDelivery(prediction.Webhook!, attempt, null, body));
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static object Snapshot(FakePrediction prediction, string? asStatus)
    {
        string status;
        string? error;
        int made;
        DateTimeOffset? completedAt;
        lock (prediction)
        {
            status = asStatus ?? prediction.Status ?? (prediction.Reads == 0 ? "starting" : "processing");
            error = asStatus is null ? prediction.Error : null;
            made = asStatus is null && prediction.Status == "succeeded" ? prediction.Made : 0;
            completedAt = asStatus is null ? prediction.CompletedAt : null;
        }

        var files = Enumerable.Range(0, made).Select(i => $"{prediction.Origin}/files/{prediction.Id}/out-{i}.{prediction.Format}").ToArray();
        return new
        {
            id = prediction.Id,
            model = prediction.Model,
            version = "",
            input = JsonNode.Parse(prediction.Input),
            logs = status == "starting" ? "" : "Using seed: " + prediction.Seed.ToString(CultureInfo.InvariantCulture),
            // FLUX 1.1 [pro] returns one URL; FLUX.1 a list of them.
            output = status != "succeeded" ? null : prediction.Model == Pro ? files.FirstOrDefault() : (object)files,
            data_removed = false,
            error,
            status,
            created_at = prediction.CreatedAt.ToString("O"),
            started_at = status == "starting" ? null : prediction.CreatedAt.AddMilliseconds(20).ToString("O"),
            completed_at = completedAt?.ToString("O"),
            urls = new
            {
                cancel = $"{prediction.Origin}/v1/predictions/{prediction.Id}/cancel",
                get = $"{prediction.Origin}/v1/predictions/{prediction.Id}",
                web = $"https://replicate.com/p/{prediction.Id}",
            },
            metrics = status == "succeeded" ? new { predict_time = 0.61, image_count = made } : null,
        };
    }

    private static TimeSpan? PreferWait(string prefer)
    {
        foreach (var preference in prefer.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (preference == "wait")
            {
                return TimeSpan.FromSeconds(60);
            }

            if (preference.StartsWith("wait=", StringComparison.Ordinal) && int.TryParse(preference[5..], out var seconds) && seconds is >= 1 and <= 60)
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }

        return null;
    }

    private static bool WantsCompleted(JsonNode? filter) =>
        filter is not JsonArray events || events.Any(e => e?.GetValue<string>() == "completed");

    private static bool Authorized(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() is $"Bearer {ApiKey}" or $"Bearer {OtherAccountKey}";

    private static IResult Unauthenticated() => Problem(401, "Unauthenticated", "You did not pass a valid authentication token");

    private static IResult Invalid(string field, string type, string description) =>
        Results.Json(
            new
            {
                title = "Input validation failed",
                detail = $"- {field}: {description}\n",
                status = 422,
                invalid_fields = new[] { new { type, field, description } },
            },
            statusCode: 422, contentType: "application/problem+json");

    private static IResult Problem(int status, string title, string detail) =>
        Results.Json(new { title, detail, status }, statusCode: status, contentType: "application/problem+json");

    /// <summary>One attempt to deliver a webhook: where, which attempt, the status it got (null when the connection failed), the body.</summary>
    public sealed record WebhookDelivery(Uri Url, int Attempt, int? StatusCode, string Body);

    private sealed class FakePrediction(
        string id, string model, string prompt, string input, string format, int width, int height, int outputs, long seed, Uri? webhook, string origin)
    {
        public int Reads;

        public string Id { get; } = id;

        public string Model { get; } = model;

        public string Prompt { get; } = prompt;

        public string Input { get; } = input;

        public string Format { get; } = format;

        public int Width { get; } = width;

        public int Height { get; } = height;

        public int Outputs { get; } = outputs;

        public long Seed { get; } = seed;

        public Uri? Webhook { get; } = webhook;

        public string Origin { get; } = origin;

        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? Status { get; set; }

        public string? Error { get; set; }

        public int Made { get; set; }

        public DateTimeOffset? CompletedAt { get; set; }
    }
}
