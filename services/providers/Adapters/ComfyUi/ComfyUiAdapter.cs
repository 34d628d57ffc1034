using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.ComfyUi;

/// <summary>
/// A self-hosted ComfyUI server, driven through its HTTP API: <c>POST prompt {prompt, client_id}</c> queues a workflow graph
/// (<see cref="ComfyUiWorkflow"/>: a template with the job's prompt, size, seed and batch size put in) and answers
/// <c>{prompt_id, number, node_errors}</c>; <c>GET history/{prompt_id}</c> is <c>{}</c> until the run ends, then holds its
/// <c>outputs</c> (<c>images: [{filename, subfolder, type}]</c>) and <c>status</c>; the images are read with
/// <c>GET view?filename=&amp;subfolder=&amp;type=</c>. Source: ComfyUI's <c>server.py</c> (github.com/comfyanonymous/ComfyUI) and
/// its API examples (<c>script_examples/basic_api_example.py</c>, <c>websockets_api_example.py</c>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Its one model, <c>workflow</c>, is the configured template: <c>Providers:comfyui:Options:WorkflowPath</c> (an API-format JSON file),
/// else the built-in SDXL text-to-image graph with the checkpoint of <c>Options:Checkpoint</c>.</item>
/// <item>No key by default: the server is the operator's own. Behind an authenticating proxy, <c>Providers:comfyui:ApiKey</c> is sent as
/// HTTP Basic when it is <c>user:password</c> and as a bearer token otherwise; the same header goes with the image downloads.</item>
/// <item>A prompt absent from the history is asked about in <c>GET queue</c>: queued or running is still pending; in neither (the server
/// restarted, someone deleted it) it is lost, and the attempt fails as <c>provider_unavailable</c> instead of waiting for its deadline.</item>
/// <item>Results are on the server itself, usually a private or loopback address: downloads from the configured base URL's origin are
/// allowed for that reason (and only that origin).</item>
/// <item>Cancel: a queued prompt is deleted from the queue (<c>POST queue {"delete":[id]}</c>); a running one is interrupted
/// (<c>POST interrupt {"prompt_id": id}</c>) only after <c>GET queue</c> shows it is the one running, because servers older than the
/// targeted interrupt ignore the id and stop whatever runs.</item>
/// </list>
/// </remarks>
public sealed class ComfyUiAdapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings, TimeProvider time)
    : IAsyncImageProviderAdapter
{
    public const string Id = "comfyui";
    public const string Name = "ComfyUI";
    public const string ModelId = "workflow";

    public const string WorkflowPathOption = "WorkflowPath";
    public const string CheckpointOption = "Checkpoint";
    public const string StepsOption = "Steps";
    public const string CfgScaleOption = "CfgScale";
    public const string SamplerOption = "Sampler";
    public const string SchedulerOption = "Scheduler";
    public const string OutputNodeOption = "OutputNode";
    public const string PollIntervalOption = "PollInterval";
    public const string MaxPollIntervalOption = "MaxPollInterval";

    /// <summary>Polls made at the short interval before backing off to the long one.</summary>
    public const int FastPolls = 10;

    public static readonly Uri DefaultBaseUrl = new("http://127.0.0.1:8188/");
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxPollInterval = TimeSpan.FromSeconds(3);

    public string ProviderId => Id;

    public bool RequiresCredential => false;

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"The {Name} workflow makes images from text only; it takes no input image.");
        }

        var options = settings.Get(Id);
        var client = http.CreateClient(Id);
        var server = Describe(client.BaseAddress);
        var template = await ComfyUiWorkflow.LoadAsync(options.Option(WorkflowPathOption), $"{ProviderSettings.SectionFor(Id)}:Options:{WorkflowPathOption}", cancellationToken);
        var count = Math.Max(1, request.Count);
        var graph = ComfyUiWorkflow.Fill(template, new Dictionary<string, JsonValue>
        {
            [ComfyUiWorkflow.Prompt] = JsonValue.Create(request.Prompt),
            [ComfyUiWorkflow.NegativePrompt] = JsonValue.Create(request.NegativePrompt ?? string.Empty),
            [ComfyUiWorkflow.Width] = JsonValue.Create(request.Width),
            [ComfyUiWorkflow.Height] = JsonValue.Create(request.Height),
            [ComfyUiWorkflow.Seed] = JsonValue.Create(request.Seed),
            [ComfyUiWorkflow.BatchSize] = JsonValue.Create(count),
            [ComfyUiWorkflow.Checkpoint] = JsonValue.Create(options.Option(CheckpointOption) ?? ComfyUiWorkflow.DefaultCheckpoint),
            [ComfyUiWorkflow.Steps] = JsonValue.Create(Integer(request.Parameter("steps"), options.Option(StepsOption), "steps", StepsOption) ?? ComfyUiWorkflow.DefaultSteps),
            [ComfyUiWorkflow.Cfg] = JsonValue.Create(Number(request.Parameter("cfg_scale"), options.Option(CfgScaleOption), "cfg_scale", CfgScaleOption) ?? ComfyUiWorkflow.DefaultCfg),
            [ComfyUiWorkflow.Sampler] = JsonValue.Create(request.Parameter("sampler_name") ?? options.Option(SamplerOption) ?? ComfyUiWorkflow.DefaultSampler),
            [ComfyUiWorkflow.Scheduler] = JsonValue.Create(request.Parameter("scheduler") ?? options.Option(SchedulerOption) ?? ComfyUiWorkflow.DefaultScheduler),
            [ComfyUiWorkflow.FilenamePrefix] = JsonValue.Create($"imagegen/{request.JobId:N}-{request.Attempt}"),
        });

        var body = new JsonObject { ["prompt"] = graph, ["client_id"] = $"imagegen-{request.JobId:N}" };
        using var message = new HttpRequestMessage(HttpMethod.Post, "prompt") { Content = JsonContent.Create(body) };
        message.Headers.Authorization = Authorization(request.Credential);
        using var response = await client.SendToProviderAsync(message, server, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ComfyUiErrors.ReadAsync(response, server, "prompt", cancellationToken);
        }

        var answer = await response.ReadJsonAsync<JsonObject>(server, cancellationToken);
        if (answer["prompt_id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var promptId) || string.IsNullOrWhiteSpace(promptId))
        {
            throw ProviderException.ProviderUnavailable($"{server} queued the workflow without giving its prompt id.");
        }

        if (answer["node_errors"] is JsonObject { Count: > 0 } nodeErrors)
        {
            // The valid outputs were queued without the broken ones; running half a graph is not what the template meant.
            await DeleteQuietlyAsync(client, promptId, request.Credential, cancellationToken);
            throw ComfyUiErrors.FromNodeErrors(nodeErrors, server);
        }

        return ProviderSubmission.Pending(promptId, Interval(0), count.ToString(CultureInfo.InvariantCulture));
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        var client = http.CreateClient(Id);
        var server = Describe(client.BaseAddress);
        if (await HistoryAsync(client, server, poll, cancellationToken) is { } finished)
        {
            return await JudgeAsync(finished, client, server, poll, cancellationToken);
        }

        var queue = await QueueAsync(client, server, poll.Credential, cancellationToken);
        if (queue.Running.Contains(poll.TaskId) || queue.Pending.Contains(poll.TaskId))
        {
            return ProviderPollResult.Pending(Interval(poll.PollCount + 1));
        }

        // It may have finished between the two questions.
        if (await HistoryAsync(client, server, poll, cancellationToken) is { } justFinished)
        {
            return await JudgeAsync(justFinished, client, server, poll, cancellationToken);
        }

        return ProviderPollResult.Failed(ProviderException.ProviderUnavailable(
            $"{server} no longer knows the prompt {poll.TaskId}: it is neither queued, running nor in the history (the server restarted, or the prompt was deleted)."));
    }

    /// <summary>Deletes the prompt from the queue if it waits there, or interrupts it if it is the one running; a finished or unknown prompt needs nothing.</summary>
    public async Task CancelAsync(ProviderPoll task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var client = http.CreateClient(Id);
        var server = Describe(client.BaseAddress);
        var queue = await QueueAsync(client, server, task.Credential, cancellationToken);
        string path;
        JsonObject body;
        if (queue.Pending.Contains(task.TaskId))
        {
            (path, body) = ("queue", new JsonObject { ["delete"] = new JsonArray(task.TaskId) });
        }
        else if (queue.Running.Contains(task.TaskId))
        {
            (path, body) = ("interrupt", new JsonObject { ["prompt_id"] = task.TaskId });
        }
        else
        {
            return;
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        message.Headers.Authorization = Authorization(task.Credential);
        using var response = await client.SendToProviderAsync(message, server, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ComfyUiErrors.ReadAsync(response, server, path, cancellationToken);
        }
    }

    /// <summary>Submits and polls in one call, holding the caller until the run ends; the worker uses the schedule instead.</summary>
    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        this.SubmitAndPollAsync(request, time, cancellationToken);

    /// <summary>The prompt's history entry, or null while it has none (queued or running).</summary>
    private static async Task<JsonObject?> HistoryAsync(HttpClient client, string server, ProviderPoll poll, CancellationToken cancellationToken)
    {
        var path = $"history/{Uri.EscapeDataString(poll.TaskId)}";
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        message.Headers.Authorization = Authorization(poll.Credential);
        using var response = await client.SendToProviderAsync(message, server, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ComfyUiErrors.ReadAsync(response, server, "history", cancellationToken);
        }

        var history = await response.ReadJsonAsync<JsonObject>(server, cancellationToken);
        return history[poll.TaskId] as JsonObject;
    }

    private async Task<ProviderPollResult> JudgeAsync(JsonObject entry, HttpClient client, string server, ProviderPoll poll, CancellationToken cancellationToken)
    {
        var status = entry["status"] as JsonObject;
        var outcome = status?["status_str"] is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
        if (outcome == "error")
        {
            return ProviderPollResult.Failed(ComfyUiErrors.FromExecution(status, server, poll.TaskId));
        }

        var completed = status?["completed"] is JsonValue c && c.TryGetValue<bool>(out var done) && done;
        // Servers before the status field wrote history only for finished runs.
        if (outcome != "success" && !completed && status is not null)
        {
            return ProviderPollResult.Pending(Interval(poll.PollCount + 1));
        }

        var requested = int.TryParse(poll.State, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;
        var files = OutputImages(entry["outputs"] as JsonObject, settings.Get(Id).Option(OutputNodeOption)).Take(requested).ToList();
        if (files.Count == 0)
        {
            return ProviderPollResult.Failed(ProviderException.ProviderUnavailable(
                $"{server} finished the prompt {poll.TaskId} without any image: does the workflow end in a SaveImage node?"));
        }

        var baseAddress = client.BaseAddress!;
        var authorization = Authorization(poll.Credential);
        var images = new List<ProviderImage>(files.Count);
        foreach (var file in files)
        {
            var url = new Uri(baseAddress,
                $"view?filename={Uri.EscapeDataString(file.Filename)}&subfolder={Uri.EscapeDataString(file.Subfolder)}&type={Uri.EscapeDataString(file.Type)}");
            images.Add(await fetcher.FetchAsync(
                new ImageFetchRequest(url, server) { AllowedOrigins = [baseAddress], Authorization = authorization },
                cancellationToken));
        }

        var warnings = images.Count < requested
            ? new[] { $"{Name} made {images.Count} of the {requested} images asked for: does the workflow take {{{{batch_size}}}}?" }
            : [];
        return ProviderPollResult.Completed(new ProviderResult(string.IsNullOrWhiteSpace(poll.Model) ? ModelId : poll.Model, images) { Warnings = warnings });
    }

    /// <summary>
    /// The images of the run's outputs: those SaveImage wrote (<c>type: output</c>), else previews (<c>temp</c>); only those of
    /// <c>Options:OutputNode</c> when it names a node.
    /// </summary>
    private static IEnumerable<OutputImage> OutputImages(JsonObject? outputs, string? outputNode)
    {
        var all = (outputs ?? [])
            .Where(o => outputNode is null || o.Key == outputNode)
            .SelectMany(o => (o.Value as JsonObject)?["images"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(i => new OutputImage(Text(i["filename"]) ?? string.Empty, Text(i["subfolder"]) ?? string.Empty, Text(i["type"]) ?? "output"))
            .Where(i => i.Filename.Length > 0)
            .ToList();
        var saved = all.Where(i => i.Type == "output").ToList();
        return saved.Count > 0 ? saved : all;
    }

    private static async Task<(HashSet<string> Running, HashSet<string> Pending)> QueueAsync(HttpClient client, string server, string? credential, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, "queue");
        message.Headers.Authorization = Authorization(credential);
        using var response = await client.SendToProviderAsync(message, server, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ComfyUiErrors.ReadAsync(response, server, "queue", cancellationToken);
        }

        var queue = await response.ReadJsonAsync<JsonObject>(server, cancellationToken);

        // Each entry is [number, prompt_id, prompt, extra_data, outputs_to_execute].
        static HashSet<string> Ids(JsonNode? list) =>
            (list as JsonArray ?? []).OfType<JsonArray>().Select(e => e.Count > 1 ? Text(e[1]) : null).OfType<string>().ToHashSet(StringComparer.Ordinal);

        return (Ids(queue["queue_running"]), Ids(queue["queue_pending"]));
    }

    private static async Task DeleteQuietlyAsync(HttpClient client, string promptId, string? credential, CancellationToken cancellationToken)
    {
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "queue") { Content = JsonContent.Create(new JsonObject { ["delete"] = new JsonArray(promptId) }) };
            message.Headers.Authorization = Authorization(credential);
            using var response = await client.SendAsync(message, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The refusal is what the caller needs to hear; a half graph left queued only costs the server a run.
        }
    }

    /// <summary>Basic for <c>user:password</c>, bearer for anything else, nothing without a key.</summary>
    private static AuthenticationHeaderValue? Authorization(string? credential) =>
        string.IsNullOrWhiteSpace(credential) ? null
        : credential.Contains(':', StringComparison.Ordinal) ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Trim())))
        : new AuthenticationHeaderValue("Bearer", credential.Trim());

    private static int? Integer(string? parameter, string? option, string parameterName, string optionName) =>
        parameter is not null
            ? int.TryParse(parameter, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p > 0 ? p
              : throw ProviderException.InvalidRequest($"The parameter {parameterName} is '{parameter}'; use a positive whole number.")
        : option is not null
            ? int.TryParse(option, NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) && o > 0 ? o
              : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{optionName} is '{option}'; set a positive whole number.")
        : null;

    private static double? Number(string? parameter, string? option, string parameterName, string optionName) =>
        parameter is not null
            ? double.TryParse(parameter, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p > 0 ? p
              : throw ProviderException.InvalidRequest($"The parameter {parameterName} is '{parameter}'; use a positive number.")
        : option is not null
            ? double.TryParse(option, NumberStyles.Float, CultureInfo.InvariantCulture, out var o) && o > 0 ? o
              : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{optionName} is '{option}'; set a positive number.")
        : null;

    private TimeSpan Interval(int pollsMade)
    {
        var configured = settings.Get(Id);
        var fast = configured.IntervalOption(Id, PollIntervalOption) ?? DefaultPollInterval;
        var slow = configured.IntervalOption(Id, MaxPollIntervalOption) ?? DefaultMaxPollInterval;
        return pollsMade < FastPolls ? fast : (slow < fast ? fast : slow);
    }


    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    // Scheme, host, port and path only: a base URL may carry user:password. Every message names the server, since "cannot be
    // reached" is nearly always a wrong or stopped base URL.
    private static string Describe(Uri? baseAddress) =>
        $"{Name} at {(baseAddress is null ? "(no base URL)" : baseAddress.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped))}";

    private sealed record OutputImage(string Filename, string Subfolder, string Type);
}
