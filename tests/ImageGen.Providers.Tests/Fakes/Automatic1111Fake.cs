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
/// <para>The prompt picks a failure: <c>out-of-memory</c> (500 OutOfMemoryError) and <c>reject-422</c> (422 on <c>body.prompt</c>,
/// as a server that validates prompts would). <see cref="StartWithoutApiAsync"/> plays a web UI started without
/// <c>--api</c>: every API path is FastAPI's 404 <c>{"detail":"Not Found"}</c>.</para>
/// <para>Generations run one at a time, as the web UI's <c>queue_lock</c> makes them, and are filed under their
/// <c>force_task_id</c> (else an id of the web UI's own) the way <c>modules/progress.py</c> files them: queued from the moment
/// they wait for the lock, active while they run, completed after. <see cref="WebUi"/> holds that state for the test;
/// <c>POST /internal/progress</c> reports it (outside <c>--api-auth</c>, as in the web UI), or answers 404 when started with
/// <c>progressApi: false</c> (a server started with <c>--nowebui</c>, or older than the endpoint). A prompt containing
/// <see cref="HoldMarker"/> keeps running until <c>POST /sdapi/v1/interrupt</c> (behind <c>--api-auth</c>) stops it, when it
/// answers with the images made so far as the web UI does, or until the test calls <see cref="WebUi.Release"/>. As in the
/// web UI, nothing stops when the client goes away.</para>
/// </remarks>
public static class Automatic1111Fake
{
    public const string Username = "painter";
    public const string Password = "s3cret-brush-9";

    /// <summary>A prompt containing this keeps its generation running until it is interrupted or released.</summary>
    public const string HoldMarker = "hold-running";

    private static readonly string[] Samplers = ["Euler a", "Euler", "DPM++ 2M", "DPM++ 2M Karras", "DDIM"];
    private static readonly string[] IntegerFields = ["width", "height", "seed", "batch_size", "n_iter", "steps"];
    private static readonly string[] NumberFields = ["cfg_scale", "denoising_strength"];

    /// <summary>A web UI with the API; with <paramref name="requireAuth"/> it was started with <c>--api-auth painter:s3cret-brush-9</c>.</summary>
    public static Task<FakeProviderServer> StartAsync(bool requireAuth = false) => StartAsync(new WebUi(), requireAuth);

    /// <summary>As <see cref="StartAsync(bool)"/>, with its generations kept in <paramref name="webUi"/>.</summary>
    /// <param name="progressApi">False for a server without <c>POST /internal/progress</c> (<c>--nowebui</c>, or an old web UI).</param>
    public static Task<FakeProviderServer> StartAsync(WebUi webUi, bool requireAuth = false, bool progressApi = true)
    {
        ArgumentNullException.ThrowIfNull(webUi);
        return FakeProviderServer.StartAsync(app =>
        {
            // A held generation would otherwise keep the server from stopping at the end of a test.
            app.Lifetime.ApplicationStopping.Register(webUi.Shutdown);
            app.MapPost("/sdapi/v1/txt2img", (HttpRequest request) => GenerateAsync(request.HttpContext, webUi, requireAuth, edit: false));
            app.MapPost("/sdapi/v1/img2img", (HttpRequest request) => GenerateAsync(request.HttpContext, webUi, requireAuth, edit: true));
            app.MapPost("/sdapi/v1/interrupt", (HttpRequest request) =>
            {
                if (Unauthorized(request.HttpContext, requireAuth) is { } refused)
                {
                    return refused;
                }

                webUi.Interrupt();
                return Results.Json(new { });
            });
            if (progressApi)
            {
                app.MapPost("/internal/progress", (HttpRequest request) => ProgressAsync(request, webUi));
            }
            else
            {
                app.MapPost("/internal/progress", () => Results.Json(new { detail = "Not Found" }, statusCode: StatusCodes.Status404NotFound));
            }

            app.MapGet("/inputs/{width:int}x{height:int}.png", (int width, int height) => Results.Bytes(TestImages.Png(width, height), "image/png"));
        });
    }

    public static Task<FakeProviderServer> StartWithoutApiAsync() =>
        FakeProviderServer.StartAsync(app =>
            app.MapFallback(() => Results.Json(new { detail = "Not Found" }, statusCode: StatusCodes.Status404NotFound)));

    private static async Task<IResult> GenerateAsync(HttpContext context, WebUi webUi, bool requireAuth, bool edit)
    {
        if (Unauthorized(context, requireAuth) is { } refused)
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

        var inits = default(JsonElement);
        if (edit && (!body.TryGetProperty("init_images", out inits) || inits.ValueKind != JsonValueKind.Array || inits.GetArrayLength() == 0))
        {
            return Results.Json(new { detail = "Init image not found" }, statusCode: StatusCodes.Status404NotFound);
        }

        var taskId = body.TryGetProperty("force_task_id", out var forced) && forced.ValueKind == JsonValueKind.String
            ? forced.GetString()!
            : $"task({(edit ? "img2img" : "txt2img")}-{Guid.NewGuid().ToString("N")[..7].ToUpperInvariant()})";

        // As modules/api/api.py: queued before waiting for the lock; the init images are decoded under the lock but before
        // the task starts, and a failure after it starts skips finish_task. Neither failure unfiles the task, as in the web UI.
        await using var turn = await webUi.QueueAsync(taskId);
        if (edit && inits.EnumerateArray().Any(init => !IsImage(init.GetString())))
        {
            return ServerError("HTTPException", "Invalid encoded image");
        }

        await turn.RunAsync(hold: prompt.Contains(HoldMarker, StringComparison.Ordinal));
        if (prompt.Contains("out-of-memory", StringComparison.Ordinal))
        {
            return ServerError("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity)");
        }

        turn.Finish();
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

    /// <summary>modules/progress.py's <c>progressapi</c>: where the web UI has the task, by its id.</summary>
    private static async Task<IResult> ProgressAsync(HttpRequest request, WebUi webUi)
    {
        string? idTask = null;
        var idLivePreview = -1;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body);
            var root = document.RootElement;
            if (root.TryGetProperty("id_task", out var id) && id.ValueKind == JsonValueKind.String)
            {
                idTask = id.GetString();
            }

            if (root.TryGetProperty("id_live_preview", out var preview) && preview.TryGetInt32(out var number))
            {
                idLivePreview = number;
            }
        }
        catch (JsonException)
        {
            return Validation([(["body"], "value is not a valid dict", "type_error.dict")]);
        }

        var (active, queued, completed, position, waiting) = webUi.Where(idTask);
        if (!active)
        {
            return Results.Json(new
            {
                active,
                queued,
                completed,
                progress = (double?)null,
                eta = (double?)null,
                live_preview = (string?)null,
                id_live_preview = -1,
                textinfo = queued ? $"In queue: {position}/{waiting}" : "Waiting...",
            });
        }

        return Results.Json(new
        {
            active,
            queued,
            completed,
            progress = 0.35,
            eta = 4.2,
            live_preview = (string?)null,
            id_live_preview = idLivePreview,
            textinfo = "Sampling step 7/20",
        });
    }

    private static IResult? Unauthorized(HttpContext context, bool requireAuth)
    {
        if (!requireAuth || context.Request.Headers.Authorization.ToString() == $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"))}")
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Basic";
        return Results.Json(new { detail = "Incorrect username or password" }, statusCode: StatusCodes.Status401Unauthorized);
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

    /// <summary>
    /// The web UI's generation state: its <c>queue_lock</c> (one generation at a time), <c>modules/progress.py</c>'s
    /// <c>current_task</c>, <c>pending_tasks</c> and <c>finished_tasks</c> (the last 16), and <c>shared.state</c>'s interrupt.
    /// </summary>
    public sealed class WebUi
    {
        private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);

        private readonly Lock _gate = new();
        private readonly SemaphoreSlim _queueLock = new(1, 1);
        private readonly List<string> _received = [];
        private readonly List<string> _pending = [];
        private readonly List<string> _finished = [];
        private readonly List<string> _interrupted = [];
        private string? _current;
        private TaskCompletionSource<bool>? _held;
        private bool _shuttingDown;

        /// <summary>The task id of every generation received, in order of arrival (the <c>force_task_id</c> when sent).</summary>
        public IReadOnlyList<string> TaskIds
        {
            get
            {
                lock (_gate)
                {
                    return [.. _received];
                }
            }
        }

        /// <summary>The tasks an interrupt stopped while they ran.</summary>
        public IReadOnlyList<string> Interrupted
        {
            get
            {
                lock (_gate)
                {
                    return [.. _interrupted];
                }
            }
        }

        /// <summary><c>current_task</c>: the task started last and not finished.</summary>
        public string? Active
        {
            get
            {
                lock (_gate)
                {
                    return _current;
                }
            }
        }

        public Task WaitUntilActiveAsync(string taskId) => WaitAsync(() => Where(taskId).Active, $"{taskId} to run");

        public Task WaitUntilQueuedAsync(string taskId) => WaitAsync(() => Where(taskId).Queued, $"{taskId} to be queued");

        public Task WaitUntilCompletedAsync(string taskId) => WaitAsync(() => Where(taskId).Completed, $"{taskId} to complete");

        /// <summary>Lets the held generation finish on its own, as if its steps ran out.</summary>
        public void Release()
        {
            lock (_gate)
            {
                _held?.TrySetResult(false);
            }
        }

        internal (bool Active, bool Queued, bool Completed, int Position, int Waiting) Where(string? taskId)
        {
            lock (_gate)
            {
                var position = taskId is null ? -1 : _pending.IndexOf(taskId);
                return (taskId is not null && taskId == _current, position >= 0, taskId is not null && _finished.Contains(taskId), position + 1, _pending.Count);
            }
        }

        /// <summary><c>add_task_to_queue</c>, then the wait for <c>queue_lock</c>, which nothing cancels.</summary>
        internal async Task<Turn> QueueAsync(string taskId)
        {
            lock (_gate)
            {
                _received.Add(taskId);
                _pending.Remove(taskId);
                _pending.Add(taskId);
            }

            await _queueLock.WaitAsync(CancellationToken.None);
            return new Turn(this, taskId);
        }

        /// <summary><c>shared.state.interrupt()</c>: stops the generation running now, if any; later ones are not affected.</summary>
        internal void Interrupt()
        {
            lock (_gate)
            {
                if (_held is { } held && held.TrySetResult(true))
                {
                    _interrupted.Add(_current!);
                }
            }
        }

        internal void Shutdown()
        {
            lock (_gate)
            {
                _shuttingDown = true;
                _held?.TrySetResult(false);
            }
        }

        private static async Task WaitAsync(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow + WaitLimit;
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The fake web UI waited {WaitLimit.TotalSeconds} s for {what}.");
                }

                await Task.Delay(10);
            }
        }

        /// <summary>One generation's hold on <c>queue_lock</c>.</summary>
        internal sealed class Turn(WebUi webUi, string taskId) : IAsyncDisposable
        {
            /// <summary><c>start_task</c>, then the sampling, which a held generation prolongs until interrupted or released.</summary>
            public async Task RunAsync(bool hold)
            {
                TaskCompletionSource<bool>? held = null;
                lock (webUi._gate)
                {
                    webUi._current = taskId;
                    webUi._pending.Remove(taskId);
                    if (hold && !webUi._shuttingDown)
                    {
                        webUi._held = held = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }

                if (held is not null)
                {
                    await held.Task;
                }

                lock (webUi._gate)
                {
                    webUi._held = null;
                }
            }

            /// <summary><c>finish_task</c>.</summary>
            public void Finish()
            {
                lock (webUi._gate)
                {
                    if (webUi._current == taskId)
                    {
                        webUi._current = null;
                    }

                    webUi._finished.Add(taskId);
                    if (webUi._finished.Count > 16)
                    {
                        webUi._finished.RemoveAt(0);
                    }
                }
            }

            public ValueTask DisposeAsync()
            {
                webUi._queueLock.Release();
                return ValueTask.CompletedTask;
            }
        }
    }
}
