using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// Adobe IMS and Firefly Services v3 as the adapter meets them, on one server:
/// <list type="bullet">
/// <item><c>POST /ims/token/v3</c> (form: <c>grant_type=client_credentials</c>, <c>client_id</c>, <c>client_secret</c>, <c>scope</c>) answers
/// <c>{access_token, token_type:"bearer", expires_in}</c>; IMS's own errors otherwise: 400 <c>unsupported_grant_type</c>, 400
/// <c>invalid_client</c> "invalid client_id parameter", 401 <c>invalid_client</c> "invalid client_secret parameter", 400 <c>invalid_scope</c>.</item>
/// <item>Every Firefly call needs <c>x-api-key</c> = a known client id (else the gateway's 403 <c>{"error_code":"403003","message":"Api Key is invalid"}</c>)
/// and a bearer token IMS issued to that client and not revoked (else 401 <c>{"error_code":"401013","message":"Oauth token is not valid"}</c>).</item>
/// <item><c>POST /v3/images/generate-async</c> checks what the real API checks (JSON body, prompt 1-1024 characters, <c>numVariations</c> 1-4,
/// as many distinct <c>seeds</c>, <c>size</c> one of the model's, <c>contentClass</c> photo | art, a known <c>x-model-version</c>), answering
/// 422 <c>validation_error</c> with <c>validation_errors</c>; on success 202 <c>{jobId:"urn:ff:jobs:…", statusUrl, cancelUrl}</c>.</item>
/// <item><c>GET /v3/status/{jobId}</c> moves the job on by one state per poll: <c>running</c> on the first, <c>succeeded</c> with
/// <c>result.outputs[].{seed, image.url}</c> (JPEGs of the asked size, served by this server at pre-signed-looking URLs) on the second;
/// an unknown id is 404 <c>unknown_job_id</c>.</item>
/// <item><c>PUT /v3/cancel/{jobId}</c> cancels a running job (its status becomes <c>canceled</c>); 409 <c>job_completed</c> /
/// <c>job_already_canceled</c> after the end, 404 for an unknown id.</item>
/// </list>
/// </summary>
/// <remarks>
/// The prompt picks a behaviour. On submission: <c>unsafe</c> (422 <c>prompt_unsafe</c>), <c>foreign</c> (422 <c>language_not_supported</c>),
/// <c>no-quota</c> (403, <c>x-access-error: quota_exhausted</c>), <c>not-entitled</c> (403, <c>user_non_entitled</c>), <c>throttle</c> (429,
/// <c>Retry-After: 9</c>), <c>server-error</c> (500 <c>runtime_error</c>), <c>not-loaded</c> (503 <c>model_not_loaded</c>). In the job:
/// <c>unsafe-output</c> (failed, <c>output_media_unsafe</c>), <c>job-error</c> (failed, <c>runtime_error</c>), <c>job-timeout</c> (status
/// <c>timeout</c>), <c>never</c> (running forever), <c>slow</c> (succeeded on the fourth poll), <c>denied-words</c> (succeeded with
/// <c>promptHasDeniedWords</c>), <c>one-short</c> (one image fewer than asked), <c>cancel-fails</c> (cancel answers 409 <c>job_cancel_failed</c>).
/// </remarks>
public sealed class FireflyFake : IAsyncDisposable
{
    public const string ClientId = "8f3c2b1a9d7e4c5f8a6b0d2e4f1a3c5b";
    public const string ClientSecret = "p8e-FakeSecretForTests-Q2w9Zx7Lm4Rt";
    public const string OtherClientId = "1b2c3d4e5f60718293a4b5c6d7e8f901";
    public const string OtherClientSecret = "p8e-OtherFakeSecret-Vb8Nm3Kj6Hg1Df";

    public const string ImsPath = "/ims/token/v3";
    public const string SubmitPath = "/v3/images/generate-async";

    public static readonly IReadOnlyDictionary<string, string[]> SizesByModel = new Dictionary<string, string[]>
    {
        ["image3"] = ["2048x2048", "1024x1024", "2304x1792", "1792x2304", "2688x1536", "2688x1512", "1344x768", "1344x756", "1152x896", "896x1152"],
        ["image4_standard"] = ["2048x2048", "2304x1792", "1792x2304", "2688x1536", "1440x2560"],
        ["image4_ultra"] = ["2048x2048", "2304x1792", "1792x2304", "2688x1536", "1440x2560"],
    };

    private static readonly Dictionary<string, string> Clients = new() { [ClientId] = ClientSecret, [OtherClientId] = OtherClientSecret };

    private static readonly HashSet<string> KnownScopes = ["openid", "AdobeID", "session", "additional_info", "read_organizations", "firefly_api", "ff_apis"];

    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeJob> _jobs = new(StringComparer.Ordinal);

    private FireflyFake()
    {
    }

    public FakeProviderServer Server { get; private set; } = null!;

    /// <summary>IMS's <c>expires_in</c> for the tokens it issues from now on.</summary>
    public int TokenLifetimeSeconds { get; set; } = 86399;

    /// <summary>When set, IMS is down: 503 for every token request.</summary>
    public bool ImsUnavailable { get; set; }

    /// <summary>When set, Firefly refuses every token with 401, however fresh (a credential whose organization lost access mid-way).</summary>
    public bool RefuseEveryToken { get; set; }

    public int TokensIssued => _tokens.Count;

    public Uri ImsUrl => Server.Url(ImsPath);

    public static string StatusPath(string jobId) => $"/v3/status/{jobId}";

    public static string CancelPath(string jobId) => $"/v3/cancel/{jobId}";

    public static async Task<FireflyFake> StartAsync()
    {
        var fake = new FireflyFake();
        fake.Server = await FakeProviderServer.StartAsync(app =>
        {
            app.MapPost(ImsPath, (HttpRequest request) => fake.IssueTokenAsync(request));
            app.MapPost(SubmitPath, (HttpRequest request) => fake.SubmitAsync(request.HttpContext));
            app.MapGet("/v3/status/{jobId}", (string jobId, HttpRequest request) => fake.Status(request.HttpContext, jobId));
            app.MapPut("/v3/cancel/{jobId}", (string jobId, HttpRequest request) => fake.Cancel(request.HttpContext, jobId));
            app.MapGet("/results/{jobId}/{index:int}.jpg", (string jobId, int index) =>
                fake._jobs.TryGetValue(jobId, out var job) ? Results.Bytes(TestImages.Jpeg(job.Width, job.Height), "image/jpeg") : Results.NotFound());
        });
        return fake;
    }

    /// <summary>Every token issued so far stops working at Firefly, as when it expires or is revoked before the time IMS gave.</summary>
    public void RevokeTokens()
    {
        foreach (var token in _tokens.Values)
        {
            token.Revoked = true;
        }
    }

    /// <summary>The client a Firefly call presented the token of.</summary>
    public string? ClientOfToken(string bearer) => _tokens.TryGetValue(bearer, out var token) ? token.ClientId : null;

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private async Task<IResult> IssueTokenAsync(HttpRequest request)
    {
        if (ImsUnavailable)
        {
            return Results.Json(new { error = "server_error", error_description = "IMS is temporarily unavailable" }, statusCode: 503);
        }

        if (!request.HasFormContentType)
        {
            return ImsError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
        }

        var form = await request.ReadFormAsync();
        if (form["grant_type"] != "client_credentials")
        {
            return ImsError(400, "unsupported_grant_type", "unsupported grant_type parameter");
        }

        var clientId = form["client_id"].ToString();
        if (!Clients.TryGetValue(clientId, out var secret))
        {
            return ImsError(400, "invalid_client", "invalid client_id parameter");
        }

        if (form["client_secret"] != secret)
        {
            return ImsError(401, "invalid_client", "invalid client_secret parameter");
        }

        var scopes = form["scope"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = scopes.Length == 0 ? "none" : scopes.FirstOrDefault(s => !KnownScopes.Contains(s));
        if (unknown is not null)
        {
            return ImsError(400, "invalid_scope", $"Invalid scope ({unknown})");
        }

        var token = $"eyJhbGciOiJSUzI1NiJ9.{Guid.NewGuid():N}.{Guid.NewGuid():N}";
        _tokens[token] = new IssuedToken(clientId);
        return Results.Json(new { access_token = token, token_type = "bearer", expires_in = TokenLifetimeSeconds });
    }

    private async Task<IResult> SubmitAsync(HttpContext context)
    {
        if (Authenticate(context) is { } refused)
        {
            return refused;
        }

        if (context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return Error(415, "invalid_content_type", "Content-Type must be application/json.");
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Error(400, "bad_request", "The request body is not valid JSON.");
        }

        var model = context.Request.Headers["x-model-version"].ToString() is { Length: > 0 } header ? header : "image3";
        var problems = new List<(string[] Loc, string Msg, string Type)>();
        if (!SizesByModel.TryGetValue(model, out var sizes))
        {
            problems.Add((["header", "x-model-version"], $"value is not a valid enumeration member; permitted: {string.Join(", ", SizesByModel.Keys.Select(k => $"'{k}'"))}", "type_error.enum"));
            sizes = [];
        }

        var prompt = Text(body, "prompt");
        if (string.IsNullOrEmpty(prompt) || prompt.Length > 1024)
        {
            problems.Add((["body", "prompt"], "ensure this value has between 1 and 1024 characters", "value_error.any_str"));
        }

        if (Text(body, "negativePrompt") is { Length: > 1024 })
        {
            problems.Add((["body", "negativePrompt"], "ensure this value has at most 1024 characters", "value_error.any_str.max_length"));
        }

        var n = body.TryGetProperty("numVariations", out var nValue) && nValue.TryGetInt32(out var parsed) ? parsed : 1;
        if (n is < 1 or > 4)
        {
            problems.Add((["body", "numVariations"], "ensure this value is between 1 and 4", "value_error.number"));
        }

        if (body.TryGetProperty("seeds", out var seeds))
        {
            var values = seeds.ValueKind == JsonValueKind.Array ? seeds.EnumerateArray().Select(s => s.TryGetInt64(out var v) ? v : -1).ToList() : [];
            if (values.Count != n || values.Distinct().Count() != values.Count || values.Any(v => v is < 0 or > int.MaxValue))
            {
                problems.Add((["body", "seeds"], "the number of seeds must equal numVariations, each a distinct 32-bit integer", "value_error"));
            }
        }

        var (width, height) = (2048, 2048);
        if (body.TryGetProperty("size", out var size))
        {
            width = size.TryGetProperty("width", out var w) && w.TryGetInt32(out var wv) ? wv : 0;
            height = size.TryGetProperty("height", out var h) && h.TryGetInt32(out var hv) ? hv : 0;
        }

        if (sizes.Length > 0 && !sizes.Contains($"{width}x{height}"))
        {
            problems.Add((["body", "size"], $"unsupported size {width}x{height} for {model}", "value_error"));
        }

        if (Text(body, "contentClass") is { } contentClass && contentClass is not ("photo" or "art"))
        {
            problems.Add((["body", "contentClass"], "value is not a valid enumeration member; permitted: 'photo', 'art'", "type_error.enum"));
        }

        if (problems.Count > 0)
        {
            return Results.Json(new
            {
                error_code = "validation_error",
                message = "Request body failed validation.",
                validation_errors = problems.Select(p => new { loc = p.Loc, msg = p.Msg, type = p.Type }),
            }, statusCode: 422);
        }

        if (Marked(prompt!, "unsafe") && !Marked(prompt!, "unsafe-output"))
        {
            return Error(422, "prompt_unsafe", "The prompt contains content that violates Adobe's user guidelines.");
        }

        if (Marked(prompt!, "foreign"))
        {
            return Error(422, "language_not_supported", "The language of the prompt is not supported.");
        }

        if (Marked(prompt!, "no-quota"))
        {
            context.Response.Headers["x-access-error"] = "quota_exhausted";
            return Error(403, "access_error", "The organization has used all of its generative credits.");
        }

        if (Marked(prompt!, "not-entitled"))
        {
            context.Response.Headers["x-access-error"] = "user_non_entitled";
            return Error(403, "access_error", "The user is not entitled to Firefly Services.");
        }

        if (Marked(prompt!, "throttle"))
        {
            context.Response.Headers.RetryAfter = "9";
            context.Response.Headers["x-access-rate-limit-level"] = "org";
            return Error(429, "rate_limited", "Too many requests.");
        }

        if (Marked(prompt!, "server-error"))
        {
            return Error(500, "runtime_error", "An unexpected error occurred while generating images.");
        }

        if (Marked(prompt!, "not-loaded"))
        {
            return Error(503, "model_not_loaded", "The model is not loaded yet; try again later.");
        }

        var job = new FakeJob($"urn:ff:jobs:epo855230:{Guid.NewGuid()}", prompt!, n, width, height,
            seeds.ValueKind == JsonValueKind.Array ? seeds.EnumerateArray().Select(s => s.GetInt64()).ToArray() : Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        _jobs[job.Id] = job;
        var origin = $"{context.Request.Scheme}://{context.Request.Host}";
        return Results.Json(new
        {
            jobId = job.Id,
            statusUrl = $"{origin}/v3/status/{job.Id}",
            cancelUrl = $"{origin}/v3/cancel/{job.Id}",
        }, statusCode: 202);
    }

    private IResult Status(HttpContext context, string jobId)
    {
        if (Authenticate(context) is { } refused)
        {
            return refused;
        }

        if (!_jobs.TryGetValue(jobId, out var job))
        {
            return Error(404, "unknown_job_id", "The job id is unknown.");
        }

        if (job.Canceled)
        {
            return Results.Json(new { jobId, status = "canceled" });
        }

        var poll = Interlocked.Increment(ref job.Polls);
        var doneAt = Marked(job.Prompt, "slow") ? 4 : 2;
        if (Marked(job.Prompt, "never") || poll < doneAt)
        {
            return Results.Json(new { jobId, status = "running", progress = 50 });
        }

        job.Finished = true;
        if (Marked(job.Prompt, "unsafe-output"))
        {
            return Results.Json(new { jobId, status = "failed", error_code = "output_media_unsafe", message = "The generated image was flagged by content moderation." });
        }

        if (Marked(job.Prompt, "job-error"))
        {
            return Results.Json(new { jobId, status = "failed", error_code = "runtime_error", message = "Image generation failed unexpectedly." });
        }

        if (Marked(job.Prompt, "job-timeout"))
        {
            return Results.Json(new { jobId, status = "timeout", error_code = "timeout_error", message = "The job timed out." });
        }

        var origin = $"{context.Request.Scheme}://{context.Request.Host}";
        var made = Marked(job.Prompt, "one-short") ? job.N - 1 : job.N;
        return Results.Json(new
        {
            jobId,
            status = "succeeded",
            result = new
            {
                size = new { width = job.Width, height = job.Height },
                outputs = Enumerable.Range(0, made).Select(i => new
                {
                    seed = job.Seeds[i],
                    image = new { url = $"{origin}/results/{job.Id}/{i}.jpg?X-Amz-Expires=3600&X-Amz-Signature=9a8b7c6d5e4f" },
                }),
                contentClass = "photo",
                promptHasDeniedWords = Marked(job.Prompt, "denied-words"),
                promptHasBlockedArtists = false,
            },
        });
    }

    private IResult Cancel(HttpContext context, string jobId)
    {
        if (Authenticate(context) is { } refused)
        {
            return refused;
        }

        if (!_jobs.TryGetValue(jobId, out var job))
        {
            return Error(404, "unknown_job_id", "The job id is unknown.");
        }

        if (job.Canceled)
        {
            return Error(409, "job_already_canceled", "The job was already canceled.");
        }

        if (job.Finished)
        {
            return Error(409, "job_completed", "The job was already completed.");
        }

        if (Marked(job.Prompt, "cancel-fails"))
        {
            return Error(409, "job_cancel_failed", "The job failed to cancel.");
        }

        job.Canceled = true;
        return Results.Json(new { });
    }

    private IResult? Authenticate(HttpContext context)
    {
        var apiKey = context.Request.Headers["x-api-key"].ToString();
        if (!Clients.ContainsKey(apiKey))
        {
            return Error(403, "403003", "Api Key is invalid");
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        var bearer = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null;
        return !RefuseEveryToken && bearer is not null && _tokens.TryGetValue(bearer, out var token) && !token.Revoked && token.ClientId == apiKey
            ? null
            : Error(401, "401013", "Oauth token is not valid");
    }

    private static bool Marked(string prompt, string marker) => prompt.Contains(marker, StringComparison.Ordinal);

    private static IResult Error(int status, string code, string message) => Results.Json(new { error_code = code, message }, statusCode: status);

    private static IResult ImsError(int status, string error, string description) => Results.Json(new { error, error_description = description }, statusCode: status);

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed class IssuedToken(string clientId)
    {
        public string ClientId { get; } = clientId;

        public volatile bool Revoked;
    }

    private sealed class FakeJob(string id, string prompt, int n, int width, int height, long[] seeds)
    {
        public int Polls;
        public volatile bool Canceled;
        public volatile bool Finished;

        public string Id { get; } = id;

        public string Prompt { get; } = prompt;

        public int N { get; } = n;

        public int Width { get; } = width;

        public int Height { get; } = height;

        public long[] Seeds { get; } = seeds;
    }
}
