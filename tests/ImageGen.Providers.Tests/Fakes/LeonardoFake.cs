using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageGen.Providers.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Leonardo.Ai's production API as the adapter meets it, under <c>/api/rest/v1</c>: <c>POST generations</c> (bearer key; the checks the
/// real API makes: prompt, a known model UUID, width and height 32-1536 in multiples of 8, <c>num_images</c> 1-8 and at most 4 above 768
/// pixels, Phoenix's required <c>contrast</c> of 3, 3.5 or 4) answering <c>{sdGenerationJob:{generationId, apiCreditCost}}</c>, and
/// <c>GET generations/{id}</c> answering <c>{generations_by_pk:{status, generated_images:[{url, nsfw}]}}</c> (null for an unknown id).
/// Errors in Hasura's <c>{error, path, code}</c> shape. The JPEG images are served by this server under <c>/cdn/</c>.
/// </summary>
/// <remarks>
/// <para>Like an API key created in Leonardo's dashboard with a webhook callback URL and key, a fake started with
/// <c>webhookUrl</c> POSTs <c>{type: "image_generation.complete", data: {object: generation}}</c> with <c>Authorization: Bearer
/// {webhookKey}</c> to it when a generation made with <see cref="ApiKey"/> ends (a few retries); see <see cref="Deliveries"/>.</para>
/// <para>The prompt picks a behaviour: <c>nude</c> (400 "content moderation filter: nude"), <c>broke</c> (400 "not enough api tokens"),
/// <c>throttle</c> (429 with <c>Retry-After: 12</c>), <c>server-error</c> (500), <c>fails</c> (the generation FAILED), <c>flag-one</c> (the first
/// image flagged nsfw), <c>flag-all</c> (every image flagged), <c>never</c> (PENDING forever), <c>two-polls</c> (COMPLETE when read the
/// second time). Anything else is COMPLETE at once.</para>
/// </remarks>
public sealed class LeonardoFake : IAsyncDisposable
{
    public const string ApiKey = "3f0c9a4e-71b2-4d8a-9e55-2c6b8d1f0a37";
    public const string OtherAccountKey = "8d2e6b1c-0f4a-4b7e-a9c3-5e1d7f2b6c90";
    public const string WebhookKey = "leonardo-callback-key-7Qm2Xv9Lp4";
    public const string GenerationsPath = "/api/rest/v1/generations";
    public const int CreditCost = 13;

    public const string Phoenix10 = "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3";
    public const string Phoenix09 = "6b645e3a-d64f-4341-a6d8-7a3690fbf042";
    public const string LightningXl = "b24e16ff-06e3-43eb-8d33-4416c2d75876";
    public const string KinoXl = "aa77f04e-3eec-4034-9c07-d0f619684628";

    /// <summary>A fine-tuned model of the account.</summary>
    public const string CustomModel = "5a1f3c7e-2b9d-4e60-8f14-a3c5d7e9b2f1";

    private static readonly string[] Models = [Phoenix10, Phoenix09, LightningXl, KinoXl, CustomModel];
    private static readonly string[] PhoenixModels = [Phoenix10, Phoenix09];

    private readonly ConcurrentDictionary<string, FakeGeneration> _generations = new(StringComparer.Ordinal);
    private readonly HttpClient _webhookClient = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource _stopping = new();
    private readonly Uri? _webhookUrl;
    private readonly string? _webhookKey;
    private FakeProviderServer _server = null!;

    private LeonardoFake(Uri? webhookUrl, string? webhookKey) => (_webhookUrl, _webhookKey) = (webhookUrl, webhookKey);

    public FakeProviderServer Server => _server;

    /// <summary>Every webhook delivery attempt: the status it got (null when the connection failed) and the body.</summary>
    public ConcurrentQueue<(int? StatusCode, string Body)> Deliveries { get; } = new();

    public static string GenerationPath(string id) => $"{GenerationsPath}/{id}";

    /// <param name="webhookUrl">The webhook callback URL of <see cref="ApiKey"/>, as set in Leonardo's dashboard; null for none.</param>
    /// <param name="webhookKey">Its webhook callback API key; null for none (the callback then carries no Authorization).</param>
    public static async Task<LeonardoFake> StartAsync(Uri? webhookUrl = null, string? webhookKey = WebhookKey)
    {
        var fake = new LeonardoFake(webhookUrl, webhookKey);
        fake._server = await FakeProviderServer.StartAsync(app =>
        {
            app.MapPost(GenerationsPath, (HttpRequest request) => fake.CreateAsync(request.HttpContext));
            app.MapGet($"{GenerationsPath}/{{id}}", (string id, HttpContext context) => fake.Read(id, context));
            app.MapGet("/cdn/generations/{id}/{index:int}.jpg", (string id, int index) =>
                fake._generations.TryGetValue(id, out var generation) ? Results.Bytes(TestImages.Jpeg(generation.Width, generation.Height), "image/jpeg") : Results.NotFound());
        });
        return fake;
    }

    /// <summary>A webhook as the worker would receive it: Leonardo's completion body for <paramref name="generationId"/>, with <c>Authorization: {authorization}</c>.</summary>
    public static ProviderWebhookRequest Webhook(string generationId, string? authorization = $"Bearer {WebhookKey}", string status = "COMPLETE", string? body = null)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = "application/json",
            ["User-Agent"] = "axios/1.4.0",
        };
        if (authorization is not null)
        {
            headers["Authorization"] = authorization;
        }

        body ??= JsonSerializer.Serialize(Envelope(new JsonObject { ["id"] = generationId, ["status"] = status, ["imageWidth"] = 1024, ["imageHeight"] = 1024 }));
        return new ProviderWebhookRequest(headers, Encoding.UTF8.GetBytes(body), DateTimeOffset.UtcNow, new Uri("/v1/webhooks/leonardo", UriKind.Relative));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _server.DisposeAsync();
        _webhookClient.Dispose();
        _stopping.Dispose();
    }

    private async Task<IResult> CreateAsync(HttpContext context)
    {
        var key = Key(context);
        if (key is null)
        {
            return Error(401, "Authentication hook unauthorized this request", "access-denied");
        }

        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            return Error(400, "invalid JSON body", "invalid-json");
        }

        var prompt = body["prompt"]?.GetValue<string>();
        if (string.IsNullOrEmpty(prompt))
        {
            return Error(400, "field 'prompt' not found in type: 'sdGenerationInput'", "validation-failed", "$.selectionSet.sdGenerationJob.args.arg1");
        }

        var model = body["modelId"]?.GetValue<string>();
        if (model is null || !Models.Contains(model))
        {
            return Error(400, "Model not found", "unexpected");
        }

        var width = body["width"]?.GetValue<int>() ?? 1024;
        var height = body["height"]?.GetValue<int>() ?? 1024;
        if (width is < 32 or > 1536 || height is < 32 or > 1536 || width % 8 != 0 || height % 8 != 0)
        {
            return Error(400, "Width and height must be between 32 and 1536 and multiples of 8.", "unexpected");
        }

        var count = body["num_images"]?.GetValue<int>() ?? 4;
        if (count is < 1 or > 8 || (count > 4 && (width > 768 || height > 768)))
        {
            return Error(400, "num_images must be between 1 and 8, and at most 4 when width or height is over 768.", "unexpected");
        }

        if (PhoenixModels.Contains(model) && body["contrast"]?.GetValue<double>() is not (3.0 or 3.5 or 4.0))
        {
            return Error(400, "contrast is required for Phoenix and must be one of 3, 3.5, 4.", "unexpected");
        }

        if (prompt.Contains("nude", StringComparison.Ordinal))
        {
            return Error(400, "content moderation filter: nude", "unexpected");
        }

        if (prompt.Contains("broke", StringComparison.Ordinal))
        {
            return Error(400, "not enough api tokens", "unexpected");
        }

        if (prompt.Contains("throttle", StringComparison.Ordinal))
        {
            context.Response.Headers.RetryAfter = "12";
            return Error(429, "Too many requests, please slow down.", "rate-limited");
        }

        if (prompt.Contains("server-error", StringComparison.Ordinal))
        {
            return Error(500, "Internal server error", "unexpected");
        }

        var generation = new FakeGeneration(Guid.NewGuid().ToString(), prompt, model, width, height, count,
            key == ApiKey ? _webhookUrl : null, $"{context.Request.Scheme}://{context.Request.Host}");
        _generations[generation.Id] = generation;
        if (!prompt.Contains("never", StringComparison.Ordinal) && !prompt.Contains("two-polls", StringComparison.Ordinal))
        {
            Finish(generation);
        }

        return Results.Json(new { sdGenerationJob = new { generationId = generation.Id, apiCreditCost = CreditCost } });
    }

    private IResult Read(string id, HttpContext context)
    {
        if (Key(context) is null)
        {
            return Error(401, "Authentication hook unauthorized this request", "access-denied");
        }

        if (!_generations.TryGetValue(id, out var generation))
        {
            return Results.Json(new { generations_by_pk = (object?)null });
        }

        if (Interlocked.Increment(ref generation.Reads) >= 2 && generation.Prompt.Contains("two-polls", StringComparison.Ordinal))
        {
            Finish(generation);
        }

        return Results.Json(new JsonObject { ["generations_by_pk"] = Snapshot(generation, webhookShape: false) });
    }

    private void Finish(FakeGeneration generation)
    {
        lock (generation)
        {
            if (generation.Status != "PENDING")
            {
                return;
            }

            generation.Status = generation.Prompt.Contains("fails", StringComparison.Ordinal) ? "FAILED" : "COMPLETE";
        }

        if (generation.Webhook is not null)
        {
            _ = DeliverAsync(generation);
        }
    }

    private async Task DeliverAsync(FakeGeneration generation)
    {
        var body = JsonSerializer.Serialize(Envelope(Snapshot(generation, webhookShape: true)));
        for (var attempt = 1; attempt <= 3 && !_stopping.IsCancellationRequested; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, generation.Webhook)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            message.Headers.UserAgent.ParseAdd("axios/1.4.0");
            if (_webhookKey is not null)
            {
                message.Headers.Authorization = new("Bearer", _webhookKey);
            }

            try
            {
                using var response = await _webhookClient.SendAsync(message, _stopping.Token);
                Deliveries.Enqueue(((int)response.StatusCode, body));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                Deliveries.Enqueue((null, body));
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

    private static JsonObject Envelope(JsonObject generation) => new()
    {
        ["type"] = "image_generation.complete",
        ["object"] = "generation",
        ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        ["api_version"] = "v1",
        ["data"] = new JsonObject { ["object"] = generation },
    };

    /// <summary>The generation as GET shows it (snake_case <c>generated_images</c>) or as the webhook carries it (camelCase, <c>images</c>).</summary>
    private static JsonObject Snapshot(FakeGeneration generation, bool webhookShape)
    {
        string status;
        lock (generation)
        {
            status = generation.Status;
        }

        var images = new JsonArray();
        if (status == "COMPLETE")
        {
            for (var i = 0; i < generation.Count; i++)
            {
                var nsfw = generation.Prompt.Contains("flag-all", StringComparison.Ordinal) || (i == 0 && generation.Prompt.Contains("flag-one", StringComparison.Ordinal));
                images.Add(new JsonObject
                {
                    ["url"] = $"{generation.Origin}/cdn/generations/{generation.Id}/{i}.jpg",
                    ["nsfw"] = nsfw,
                    ["id"] = Guid.NewGuid().ToString(),
                    ["likeCount"] = 0,
                    ["motionMP4URL"] = null,
                    ["generated_image_variation_generics"] = new JsonArray(),
                });
            }
        }

        var snapshot = new JsonObject
        {
            ["id"] = generation.Id,
            ["status"] = status,
            ["prompt"] = generation.Prompt,
            ["modelId"] = generation.Model,
            ["imageWidth"] = generation.Width,
            ["imageHeight"] = generation.Height,
            ["public"] = false,
            ["createdAt"] = generation.CreatedAt.ToString("O"),
        };
        snapshot[webhookShape ? "images" : "generated_images"] = images;
        return snapshot;
    }

    private static string? Key(HttpContext context) => context.Request.Headers.Authorization.ToString() switch
    {
        $"Bearer {ApiKey}" => ApiKey,
        $"Bearer {OtherAccountKey}" => OtherAccountKey,
        _ => null,
    };

    private static IResult Error(int status, string error, string code, string path = "$") =>
        Results.Json(new { error, path, code }, statusCode: status);

    private sealed class FakeGeneration(string id, string prompt, string model, int width, int height, int count, Uri? webhook, string origin)
    {
        public int Reads;

        public string Id { get; } = id;

        public string Prompt { get; } = prompt;

        public string Model { get; } = model;

        public int Width { get; } = width;

        public int Height { get; } = height;

        public int Count { get; } = count;

        public Uri? Webhook { get; } = webhook;

        public string Origin { get; } = origin;

        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

        public string Status { get; set; } = "PENDING";
    }
}
