using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// A ComfyUI server's HTTP API as the adapter meets it (routes and shapes of ComfyUI's <c>server.py</c>):
/// <list type="bullet">
/// <item><c>POST /prompt {prompt, client_id}</c> validates the graph as ComfyUI does (known <c>class_type</c>s, links to existing nodes, at
/// least one output node, checkpoint, sampler and scheduler from the server's lists, INT/FLOAT inputs convertible and in range) and answers
/// <c>{prompt_id, number, node_errors:{}}</c>, or 400 <c>{"error":{type, message, details, extra_info}, "node_errors":{…}}</c>.</item>
/// <item><c>GET /history/{id}</c> is <c>{}</c> while the prompt is queued or running (it runs for one history poll, then finishes), then
/// <c>{id: {prompt, outputs:{node:{images:[{filename, subfolder, type}]}}, status:{status_str, completed, messages}, meta}}</c>.</item>
/// <item><c>GET /queue</c> lists <c>queue_running</c> and <c>queue_pending</c> as <c>[number, id, prompt, extra_data, outputs]</c>;
/// <c>POST /queue {"delete":[ids]}</c> removes waiting prompts; <c>POST /interrupt</c> stops the running prompt (only the named one when
/// the body has <c>prompt_id</c>, as newer servers do).</item>
/// <item><c>GET /view?filename=&amp;subfolder=&amp;type=</c> serves the PNGs the run "saved" (SaveImage: <c>output</c>, PreviewImage:
/// <c>temp</c>), with ComfyUI's 400 for a filename with <c>..</c> and 404 for an unknown file.</item>
/// </list>
/// </summary>
/// <remarks>
/// The positive prompt picks a behaviour: <c>out-of-memory</c> (the run fails with <c>torch.OutOfMemoryError</c> in KSampler),
/// <c>node-crash</c> (fails with a <c>ValueError</c>), <c>interrupted</c> (ends with <c>execution_interrupted</c>), <c>slow</c> (finishes on the
/// fourth history poll), <c>never</c> (runs forever), <c>queued</c> (waits in the queue forever), <c>vanish</c> (gone from queue and history
/// at once, as after a restart), <c>partial-errors</c> (200 with <c>node_errors</c> for an output), <c>server-error</c> (500 text from aiohttp).
/// With <see cref="RequiredAuthorization"/> set it plays a server behind an authenticating proxy: 401 for any other Authorization header.
/// </remarks>
public sealed class ComfyUiFake : IAsyncDisposable
{
    public static readonly string[] Checkpoints = ["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"];
    public static readonly string[] Samplers = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde"];
    public static readonly string[] Schedulers = ["normal", "karras", "exponential", "simple"];

    private static readonly HashSet<string> OutputClasses = ["SaveImage", "PreviewImage"];
    private static readonly HashSet<string> KnownClasses = ["KSampler", "CheckpointLoaderSimple", "EmptyLatentImage", "CLIPTextEncode", "VAEDecode", "SaveImage", "PreviewImage"];

    private readonly ConcurrentDictionary<string, FakePrompt> _prompts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Width, int Height)> _files = new(StringComparer.Ordinal);
    private int _number;

    private ComfyUiFake()
    {
    }

    public FakeProviderServer Server { get; private set; } = null!;

    /// <summary>The exact Authorization header a proxy in front of the server wants; null for none (ComfyUI's own default).</summary>
    public string? RequiredAuthorization { get; set; }

    public static async Task<ComfyUiFake> StartAsync()
    {
        var fake = new ComfyUiFake();
        fake.Server = await FakeProviderServer.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                if (fake.RequiredAuthorization is { } required && context.Request.Headers.Authorization.ToString() != required)
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    await context.Response.WriteAsync("401 Authorization Required");
                    return;
                }

                await next(context);
            });
            app.MapPost("/prompt", (HttpRequest request) => fake.QueueAsync(request));
            app.MapGet("/history/{promptId}", (string promptId) => fake.History(promptId));
            app.MapGet("/queue", fake.Queue);
            app.MapPost("/queue", (HttpRequest request) => fake.EditQueueAsync(request));
            app.MapPost("/interrupt", (HttpRequest request) => fake.InterruptAsync(request));
            app.MapGet("/view", (HttpRequest request) => fake.View(request));
        });
        return fake;
    }

    /// <summary>Whether the prompt is still waiting in the queue, running, or finished (in the history), or unknown.</summary>
    public string StateOf(string promptId) => _prompts.TryGetValue(promptId, out var prompt) ? prompt.State : "unknown";

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private async Task<IResult> QueueAsync(HttpRequest request)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return Results.Text("500 Internal Server Error\n\nServer got itself in trouble", statusCode: 500);
        }

        if (body?["prompt"] is not JsonObject graph)
        {
            return Refuse("no_prompt", "No prompt provided", "No prompt provided", new JsonObject());
        }

        foreach (var (id, node) in graph)
        {
            var classType = (node as JsonObject)?["class_type"]?.GetValue<string>();
            if (classType is null || !KnownClasses.Contains(classType))
            {
                return Refuse("invalid_prompt", $"Cannot execute because node {classType ?? "(none)"} does not exist.", $"Node ID '#{id}'", new JsonObject());
            }
        }

        var outputs = graph.Where(n => OutputClasses.Contains(n.Value!["class_type"]!.GetValue<string>())).Select(n => n.Key).ToList();
        if (outputs.Count == 0)
        {
            return Results.Json(new JsonObject
            {
                ["error"] = new JsonObject { ["type"] = "prompt_no_outputs", ["message"] = "Prompt has no outputs", ["details"] = "", ["extra_info"] = new JsonObject() },
                ["node_errors"] = new JsonArray(),
            }, statusCode: 400);
        }

        var nodeErrors = new JsonObject();
        foreach (var (id, node) in graph)
        {
            var problems = Validate((JsonObject)node!, graph);
            if (problems.Count > 0)
            {
                nodeErrors[id] = new JsonObject
                {
                    ["errors"] = new JsonArray(problems.Select(p => (JsonNode)new JsonObject
                    {
                        ["type"] = p.Type, ["message"] = p.Message, ["details"] = p.Details, ["extra_info"] = new JsonObject(),
                    }).ToArray()),
                    ["dependent_outputs"] = new JsonArray(outputs.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
                    ["class_type"] = node!["class_type"]!.GetValue<string>(),
                };
            }
        }

        if (nodeErrors.Count > 0)
        {
            return Refuse("prompt_outputs_failed_validation", "Prompt outputs failed validation", "", nodeErrors);
        }

        var positive = string.Join(" ", graph.Select(n => n.Value as JsonObject)
            .Where(n => n?["class_type"]?.GetValue<string>() == "CLIPTextEncode")
            .Select(n => n!["inputs"]?["text"]?.GetValue<string>() ?? string.Empty));
        if (positive.Contains("server-error", StringComparison.Ordinal))
        {
            return Results.Text("500 Internal Server Error\n\nServer got itself in trouble", statusCode: 500);
        }

        var prompt = new FakePrompt(Guid.NewGuid().ToString(), Interlocked.Increment(ref _number), graph, body["client_id"]?.GetValue<string>(), positive, outputs);
        _prompts[prompt.Id] = prompt;
        var partial = positive.Contains("partial-errors", StringComparison.Ordinal)
            ? new JsonObject
            {
                [outputs[0]] = new JsonObject
                {
                    ["errors"] = new JsonArray(new JsonObject { ["type"] = "required_input_missing", ["message"] = "Required input is missing", ["details"] = "images", ["extra_info"] = new JsonObject() }),
                    ["dependent_outputs"] = new JsonArray(outputs[0]),
                    ["class_type"] = "SaveImage",
                },
            }
            : new JsonObject();
        return Results.Json(new JsonObject { ["prompt_id"] = prompt.Id, ["number"] = prompt.Number, ["node_errors"] = partial });
    }

    private IResult History(string promptId)
    {
        if (!_prompts.TryGetValue(promptId, out var prompt) || prompt.Vanished || prompt.State == "deleted")
        {
            return Results.Json(new JsonObject());
        }

        if (prompt.State != "finished")
        {
            var polls = Interlocked.Increment(ref prompt.HistoryPolls);
            if (prompt.Marked("vanish"))
            {
                prompt.Vanished = true;
                return Results.Json(new JsonObject());
            }

            var runsFor = prompt.Marked("slow") ? 3 : 1;
            if (prompt.Marked("queued") || prompt.Marked("never") || polls <= runsFor)
            {
                prompt.State = prompt.Marked("queued") ? "pending" : "running";
                return Results.Json(new JsonObject());
            }

            prompt.Finish(prompt.Marked("out-of-memory") ? "oom" : prompt.Marked("node-crash") ? "crash" : prompt.Marked("interrupted") ? "interrupted" : "success", this);
        }

        return Results.Json(new JsonObject { [prompt.Id] = prompt.HistoryEntry!.DeepClone() });
    }

    private IResult Queue()
    {
        JsonArray Entries(string state) => new(_prompts.Values
            .Where(p => !p.Vanished && p.State == state)
            .OrderBy(p => p.Number)
            .Select(p => (JsonNode)new JsonArray(p.Number, p.Id, p.Graph.DeepClone(), new JsonObject { ["client_id"] = p.ClientId }, new JsonArray(p.Outputs.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray())))
            .ToArray());

        return Results.Json(new JsonObject { ["queue_running"] = Entries("running"), ["queue_pending"] = Entries("pending") });
    }

    private async Task<IResult> EditQueueAsync(HttpRequest request)
    {
        var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        foreach (var id in body?["delete"] as JsonArray ?? [])
        {
            if (id is not null && _prompts.TryGetValue(id.GetValue<string>(), out var prompt) && prompt.State == "pending")
            {
                prompt.State = "deleted";
            }
        }

        return Results.Ok();
    }

    private async Task<IResult> InterruptAsync(HttpRequest request)
    {
        JsonObject? body = null;
        try
        {
            body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            // ComfyUI takes an empty body as a global interrupt.
        }

        var target = body?["prompt_id"]?.GetValue<string>();
        foreach (var prompt in _prompts.Values.Where(p => p.State == "running" && (target is null || p.Id == target)))
        {
            prompt.Finish("interrupted", this);
        }

        return Results.Ok();
    }

    private IResult View(HttpRequest request)
    {
        var filename = request.Query["filename"].ToString();
        if (filename.Length == 0)
        {
            return Results.NotFound();
        }

        if (filename.StartsWith('/') || filename.Contains("..", StringComparison.Ordinal))
        {
            return Results.BadRequest();
        }

        var type = request.Query["type"].ToString() is { Length: > 0 } t ? t : "output";
        if (type is not ("output" or "input" or "temp"))
        {
            return Results.BadRequest();
        }

        return _files.TryGetValue(FileKey(type, request.Query["subfolder"].ToString(), filename), out var size)
            ? Results.File(TestImages.Png(size.Width, size.Height), "image/png")
            : Results.NotFound();
    }

    private static List<(string Type, string Message, string Details)> Validate(JsonObject node, JsonObject graph)
    {
        var problems = new List<(string, string, string)>();
        var inputs = node["inputs"] as JsonObject ?? [];
        foreach (var (name, value) in inputs)
        {
            if (value is JsonArray { Count: 2 } link && link[0] is JsonValue from && !graph.ContainsKey(from.ToString()))
            {
                problems.Add(("exception_during_inner_validation", "Exception when validating inner node", $"{name}: node {from} does not exist"));
            }
        }

        void Int(string name, long min, long max)
        {
            if (!inputs.ContainsKey(name))
            {
                problems.Add(("required_input_missing", "Required input is missing", name));
            }
            else if (!long.TryParse(inputs[name]!.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            {
                problems.Add(("invalid_input_type", "Failed to convert an input value to a INT value", $"{name}, {inputs[name]!.ToJsonString()}"));
            }
            else if (v < min || v > max)
            {
                problems.Add(("value_smaller_than_min", $"Value {v} outside range {min}-{max}", $"{name}"));
            }
        }

        void Float(string name)
        {
            if (!inputs.ContainsKey(name) || !double.TryParse(inputs[name]!.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                problems.Add(("invalid_input_type", "Failed to convert an input value to a FLOAT value", $"{name}"));
            }
        }

        void OneOf(string name, string[] allowed)
        {
            var value = inputs[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (value is null || !allowed.Contains(value))
            {
                problems.Add(("value_not_in_list", "Value not in list", $"{name}: '{value}' not in [{string.Join(", ", allowed.Select(a => $"'{a}'"))}]"));
            }
        }

        switch (node["class_type"]!.GetValue<string>())
        {
            case "CheckpointLoaderSimple":
                OneOf("ckpt_name", Checkpoints);
                break;
            case "EmptyLatentImage":
                Int("width", 16, 16384);
                Int("height", 16, 16384);
                Int("batch_size", 1, 4096);
                break;
            case "KSampler":
                Int("seed", 0, long.MaxValue);
                Int("steps", 1, 10000);
                Float("cfg");
                OneOf("sampler_name", Samplers);
                OneOf("scheduler", Schedulers);
                break;
            case "CLIPTextEncode":
                if (inputs["text"] is not JsonValue text || !text.TryGetValue<string>(out _))
                {
                    problems.Add(("invalid_input_type", "Failed to convert an input value to a STRING value", "text"));
                }

                break;
        }

        return problems;
    }

    private static IResult Refuse(string type, string message, string details, JsonNode nodeErrors) =>
        Results.Json(new JsonObject
        {
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message, ["details"] = details, ["extra_info"] = new JsonObject() },
            ["node_errors"] = nodeErrors,
        }, statusCode: 400);

    private static string FileKey(string type, string subfolder, string filename) => $"{type}|{subfolder}|{filename}";

    private sealed class FakePrompt(string id, int number, JsonObject graph, string? clientId, string positive, List<string> outputs)
    {
        public int HistoryPolls;

        public string Id { get; } = id;

        public int Number { get; } = number;

        public JsonObject Graph { get; } = graph;

        public string? ClientId { get; } = clientId;

        public List<string> Outputs { get; } = outputs;

        /// <summary>pending, running, finished or deleted.</summary>
        public volatile string State = positive.Contains("queued", StringComparison.Ordinal) ? "pending" : "running";

        public volatile bool Vanished;

        public JsonObject? HistoryEntry { get; private set; }

        public bool Marked(string marker) => positive.Contains(marker, StringComparison.Ordinal);

        public void Finish(string outcome, ComfyUiFake server)
        {
            var start = new JsonArray("execution_start", new JsonObject { ["prompt_id"] = Id, ["timestamp"] = 1764063301000 });
            var messages = new JsonArray(start);
            var outputs = new JsonObject();
            switch (outcome)
            {
                case "success":
                    foreach (var nodeId in Outputs)
                    {
                        outputs[nodeId] = new JsonObject { ["images"] = Save(nodeId, server) };
                    }

                    messages.Add(new JsonArray("execution_cached", new JsonObject { ["nodes"] = new JsonArray(), ["prompt_id"] = Id, ["timestamp"] = 1764063301001 }));
                    messages.Add(new JsonArray("execution_success", new JsonObject { ["prompt_id"] = Id, ["timestamp"] = 1764063309000 }));
                    break;
                case "oom" or "crash":
                    messages.Add(new JsonArray("execution_error", new JsonObject
                    {
                        ["prompt_id"] = Id,
                        ["node_id"] = SamplerNode(),
                        ["node_type"] = "KSampler",
                        ["executed"] = new JsonArray(),
                        ["exception_message"] = outcome == "oom"
                            ? "Allocation on device 0 would exceed allowed memory. (out of memory)\nCurrently allocated     : 7.12 GiB"
                            : "Expected the latent to have 4 channels, got 16.",
                        ["exception_type"] = outcome == "oom" ? "torch.OutOfMemoryError" : "ValueError",
                        ["traceback"] = new JsonArray("  File \"execution.py\", line 323, in execute\n"),
                        ["current_inputs"] = new JsonObject(),
                        ["current_outputs"] = new JsonObject(),
                    }));
                    break;
                default:
                    messages.Add(new JsonArray("execution_interrupted", new JsonObject
                    {
                        ["prompt_id"] = Id, ["node_id"] = SamplerNode(), ["node_type"] = "KSampler", ["executed"] = new JsonArray(), ["timestamp"] = 1764063305000,
                    }));
                    break;
            }

            HistoryEntry = new JsonObject
            {
                ["prompt"] = new JsonArray(Number, Id, Graph.DeepClone(), new JsonObject { ["client_id"] = ClientId }, new JsonArray(Outputs.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray())),
                ["outputs"] = outputs,
                ["status"] = new JsonObject
                {
                    ["status_str"] = outcome == "success" ? "success" : "error",
                    ["completed"] = outcome == "success",
                    ["messages"] = messages,
                },
                ["meta"] = new JsonObject(),
            };
            State = "finished";
        }

        private string SamplerNode() => Graph.FirstOrDefault(n => n.Value?["class_type"]?.GetValue<string>() == "KSampler").Key ?? "3";

        private JsonArray Save(string nodeId, ComfyUiFake server)
        {
            var node = (JsonObject)Graph[nodeId]!;
            var type = node["class_type"]!.GetValue<string>() == "SaveImage" ? "output" : "temp";
            var latent = Graph.Select(n => n.Value as JsonObject).FirstOrDefault(n => n?["class_type"]?.GetValue<string>() == "EmptyLatentImage")?["inputs"] as JsonObject;
            int Number(string name, int fallback) => latent?[name] is { } v && int.TryParse(v.ToString(), CultureInfo.InvariantCulture, out var n) ? n : fallback;
            var (width, height, batch) = (Number("width", 512), Number("height", 512), Number("batch_size", 1));
            var prefix = node["inputs"]?["filename_prefix"]?.GetValue<string>() ?? "ComfyUI";
            var slash = prefix.LastIndexOf('/');
            var (subfolder, name) = slash < 0 ? (string.Empty, prefix) : (prefix[..slash], prefix[(slash + 1)..]);
            if (type == "temp")
            {
                (subfolder, name) = (string.Empty, $"ComfyUI_temp_{Id[..5]}");
            }

            var images = new JsonArray();
            for (var i = 1; i <= batch; i++)
            {
                var filename = $"{name}_{i:00000}_.png";
                server._files[FileKey(type, subfolder, filename)] = (width, height);
                images.Add(new JsonObject { ["filename"] = filename, ["subfolder"] = subfolder, ["type"] = type });
            }

            return images;
        }
    }
}
