using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Automatic1111;

/// <summary>
/// A self-hosted Stable Diffusion web UI (AUTOMATIC1111) started with <c>--api</c>: <c>POST sdapi/v1/txt2img</c>, or
/// <c>sdapi/v1/img2img</c> when the job brings an input image. The whole batch is one call (<c>batch_size</c>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Its one model, <c>default</c>, is whatever checkpoint the server has loaded.</item>
/// <item>No key: the server is the operator's own. With <c>--api-auth user:password</c>, set
/// <c>Providers:automatic1111:Options:Username</c> and <c>Password</c> (sent as HTTP Basic).</item>
/// <item><c>steps</c>, <c>cfg_scale</c>, <c>sampler_name</c> and <c>denoising_strength</c> come from the job's parameters,
/// else from <c>Options:Steps</c>, <c>CfgScale</c>, <c>Sampler</c>, <c>DenoisingStrength</c>, else 20, 7, the server's
/// default sampler and 0.75.</item>
/// <item>Results come back inline as base64, so nothing is downloaded from the server and no URL policy is involved;
/// input images given as URLs are downloaded here (with the public-address checks) and sent inline, because the
/// web UI fetches URLs only when its operator allows it.</item>
/// <item>The web UI puts a grid of the batch first when it makes more than one image; only the images themselves are kept.</item>
/// <item>A slow server (a CPU, a large checkpoint) needs a longer <c>Providers:automatic1111:Timeout</c> than the default 2 minutes.</item>
/// <item>Cancel: every generation is sent with <c>force_task_id</c> = <see cref="TaskIdFor"/>. When the call is canceled (the job
/// canceled, or the worker stopping) the server keeps generating, since it never notices the client leave, so the adapter asks
/// <c>POST internal/progress</c> about that task and sends <c>POST sdapi/v1/interrupt</c> only when it is the one running:
/// interrupt stops whatever runs, which may be another client's. A task still queued behind another cannot be stopped (the
/// web UI has no dequeue) and runs to completion; a server without <c>internal/progress</c> (started with <c>--nowebui</c>, or
/// older than that endpoint) is never interrupted, because whose generation it runs cannot be known.</item>
/// </list>
/// </remarks>
public sealed partial class Automatic1111Adapter(
    IHttpClientFactory http,
    ResultImageFetcher fetcher,
    IOptionsMonitor<ProviderSettings> settings,
    ILogger<Automatic1111Adapter> logger) : IImageProviderAdapter
{
    public const string Id = "automatic1111";
    public const string Name = "Automatic1111";
    public const string ModelId = "default";
    public const int DefaultSteps = 20;
    public const double DefaultCfgScale = 7;
    public const double DefaultDenoisingStrength = 0.75;

    public static readonly Uri DefaultBaseUrl = new("http://127.0.0.1:7860/");

    /// <summary>
    /// How long a canceled call may spend finding out whether its generation runs and interrupting it. Its own budget, since
    /// the call's token is already canceled; short, because the worker may be stopping.
    /// </summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    public string ProviderId => Id;

    public bool RequiresCredential => false;

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = settings.Get(Id);
        var client = http.CreateClient(Id);
        // Every message names the server, since "cannot be reached" is nearly always a wrong or stopped base URL.
        var server = $"{Name} at {Describe(client.BaseAddress)}";
        var count = Math.Max(1, request.Count);
        var edit = request.InputImages.Count > 0;
        var path = edit ? "sdapi/v1/img2img" : "sdapi/v1/txt2img";
        var body = new GenerationBody(
            request.Prompt,
            request.NegativePrompt ?? string.Empty,
            request.Width,
            request.Height,
            request.Seed,
            BatchSize: count,
            NIter: 1,
            Steps: Integer("steps", "Steps") ?? DefaultSteps,
            CfgScale: Number("cfg_scale", "CfgScale") ?? DefaultCfgScale,
            SamplerName: request.Parameter("sampler_name") ?? options.Option("Sampler"),
            SendImages: true,
            SaveImages: false,
            InitImages: edit ? await InputImagesAsync(request.InputImages, cancellationToken) : null,
            DenoisingStrength: edit ? Number("denoising_strength", "DenoisingStrength") ?? DefaultDenoisingStrength : null,
            ForceTaskId: TaskIdFor(request));

        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, path, body);
        message.Headers.Authorization = Authorization(options);

        // Nothing was sent yet, so there is nothing to stop on the server.
        cancellationToken.ThrowIfCancellationRequested();
        HttpResponseMessage sent;
        try
        {
            // The whole answer is read here (ResponseContentRead): a cancel after this point finds the generation done.
            sent = await client.SendToProviderAsync(message, server, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopIfRunningAsync(client, server, body.ForceTaskId, options);
            throw;
        }

        using var response = sent;
        if (!response.IsSuccessStatusCode)
        {
            throw MapError(await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken), server, path);
        }

        var answer = await response.ReadJsonAsync<Answer>(server, cancellationToken);
        var images = (answer.Images ?? []).Select(image => ImageInspector.FromBase64(image)).ToList();
        if (images.Count == 0)
        {
            throw ProviderException.ProviderUnavailable($"{server} answered without any image.");
        }

        return new ProviderResult(string.IsNullOrWhiteSpace(request.Model) ? ModelId : request.Model, PickBatch(images, request.Width, request.Height, count));

        int? Integer(string parameter, string option) =>
            (request.Parameter(parameter) ?? options.Option(option)) is { } value
                ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number
                  : throw ProviderException.InvalidRequest($"{parameter} is '{value}', which is not a whole number.")
                : null;

        double? Number(string parameter, string option) =>
            (request.Parameter(parameter) ?? options.Option(option)) is { } value
                ? double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
                  : throw ProviderException.InvalidRequest($"{parameter} is '{value}', which is not a number.")
                : null;
    }

    /// <summary>
    /// The id the web UI files the generation under (<c>force_task_id</c>, <c>id_task</c> in <c>internal/progress</c>): one per
    /// job attempt, so a cancel asks about this attempt's generation only, and an operator can tell from the server's
    /// progress which job a generation belongs to.
    /// </summary>
    public static string TaskIdFor(ProviderRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Create(CultureInfo.InvariantCulture, $"imagegen-{request.JobId:N}-{request.Attempt}");
    }

    /// <summary>
    /// After a cancel: interrupts the generation only when <c>internal/progress</c> says <paramref name="taskId"/> is the one
    /// running. Never throws: the caller's cancellation is what the worker must see, whatever happens here.
    /// </summary>
    private async Task StopIfRunningAsync(HttpClient client, string server, string taskId, ProviderSettings options)
    {
        using var budget = new CancellationTokenSource(StopTimeout);
        try
        {
            // live_preview false: the answer would otherwise carry the current preview image, which nobody here looks at.
            using var ask = ProviderHttp.JsonRequest(HttpMethod.Post, "internal/progress", new ProgressQuery(taskId, IdLivePreview: -1, LivePreview: false));
            ask.Headers.Authorization = Authorization(options);
            using var answer = await client.SendAsync(ask, budget.Token);
            if (answer.StatusCode == HttpStatusCode.NotFound)
            {
                LogNoProgressApi(server, taskId);
                return;
            }

            if (!answer.IsSuccessStatusCode)
            {
                LogStopFailed(server, taskId, $"internal/progress answered HTTP {(int)answer.StatusCode}");
                return;
            }

            var progress = await answer.Content.ReadFromJsonAsync<Progress>(ProviderHttp.SnakeCaseJson, budget.Token);
            if (progress is { Active: true })
            {
                using var interrupt = new HttpRequestMessage(HttpMethod.Post, "sdapi/v1/interrupt");
                interrupt.Headers.Authorization = Authorization(options);
                using var interrupted = await client.SendAsync(interrupt, budget.Token);
                if (interrupted.IsSuccessStatusCode)
                {
                    LogInterrupted(server, taskId);
                }
                else
                {
                    LogStopFailed(server, taskId, $"sdapi/v1/interrupt answered HTTP {(int)interrupted.StatusCode}");
                }
            }
            else if (progress is { Queued: true })
            {
                LogQueued(server, taskId);
            }
            else if (progress is { Completed: true })
            {
                LogAlreadyFinished(server, taskId);
            }
            else
            {
                // Not yet queued (still being checked), or a server that ignores force_task_id: either way not known to be ours.
                LogNotRunning(server, taskId);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or NotSupportedException)
        {
            // The type only: transport messages can name internal hosts, and nothing here may echo the credentials.
            LogStopFailed(server, taskId, budget.IsCancellationRequested
                ? string.Create(CultureInfo.InvariantCulture, $"no answer within {StopTimeout.TotalSeconds:0} s")
                : ex.GetType().Name);
        }
    }

    /// <summary>HTTP Basic from <c>Options:Username</c> and <c>Password</c> (<c>--api-auth</c>), on every call to the server.</summary>
    private static AuthenticationHeaderValue? Authorization(ProviderSettings options) =>
        options.Option("Username") is { } username
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{options.Option("Password") ?? string.Empty}")))
            : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Server}: the canceled generation {TaskId} was running and has been interrupted")]
    private partial void LogInterrupted(string server, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server}: the canceled generation {TaskId} is queued behind another one; the web UI cannot take it off its queue, so it will run to completion and its images are discarded")]
    private partial void LogQueued(string server, string taskId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Server}: the canceled generation {TaskId} had already finished; nothing to interrupt")]
    private partial void LogAlreadyFinished(string server, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server}: the canceled generation {TaskId} is neither running nor queued there (not started yet, or the server ignores force_task_id); not interrupting, so it may run to completion")]
    private partial void LogNotRunning(string server, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server} has no internal/progress (started with --nowebui, or an older web UI), so whether the canceled generation {TaskId} is the one running cannot be known; not interrupting, so it runs to completion")]
    private partial void LogNoProgressApi(string server, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server}: could not stop the canceled generation {TaskId} ({Reason}); it may run to completion")]
    private partial void LogStopFailed(string server, string taskId, string reason);

    /// <summary>
    /// The batch's own images: those of the size asked for, else everything after the grid the web UI puts first
    /// (its "return grid" setting) when there are more images than asked for.
    /// </summary>
    private static IReadOnlyList<ProviderImage> PickBatch(IReadOnlyList<ProviderImage> images, int width, int height, int count)
    {
        var exact = images.Where(i => i.Width == width && i.Height == height).ToList();
        if (exact.Count >= count)
        {
            return exact.Take(count).ToList();
        }

        return images.Skip(images.Count > count ? 1 : 0).Take(count).ToList();
    }

    private async Task<List<string>> InputImagesAsync(IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        var encoded = new List<string>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    // Checked here so a broken image is the caller's invalid_request, not a crash on the server; sent as the
                    // data URI it is, which the web UI decodes.
                    ImageInspector.FromBase64(input);
                }
                catch (ProviderException ex)
                {
                    throw ProviderException.InvalidRequest($"Input image {i + 1} is not a readable image.", ex);
                }

                encoded.Add(input);
                continue;
            }

            if (!Uri.TryCreate(input, UriKind.Absolute, out var url))
            {
                throw ProviderException.InvalidRequest($"Input image {i + 1} is neither a URL nor a data URI.");
            }

            ProviderImage image;
            try
            {
                image = await fetcher.FetchAsync(url, $"{Name} (input image {i + 1})", cancellationToken);
            }
            catch (ProviderException ex) when (ex.Code != ErrorCodes.Timeout)
            {
                // A private address, a 404 or something that is not an image: the caller gave a URL that cannot be used.
                throw ProviderException.InvalidRequest($"Input image {i + 1} could not be used: {ex.Message}", ex);
            }

            await using var content = await image.OpenReadAsync(cancellationToken);
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken);
            encoded.Add(Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length));
        }

        return encoded;
    }

    /// <summary>
    /// The web UI's failures: FastAPI's 422 <c>{"detail":[{"loc","msg","type"}]}</c>, 401 from <c>--api-auth</c>, a bare
    /// 404 when it runs without <c>--api</c>, and 500 <c>{"error","errors"}</c> for exceptions (CUDA out of memory, …).
    /// </summary>
    private static ProviderException MapError(ProviderErrorResponse error, string server, string path)
    {
        var status = (int)error.StatusCode;
        var said = error.Message.Length == 0 ? string.Empty : $": {error.Message}";
        return status switch
        {
            401 or 403 => ProviderException.Authentication(
                $"{server} refused the username and password (HTTP {status}){said}. Set {ProviderSettings.SectionFor(Id)}:Options:Username and Password to the server's --api-auth."),
            404 when error.Message is "" or "Not Found" => ProviderException.ProviderUnavailable(
                $"{server} has no API at /{path} (HTTP 404): start the web UI with --api."),
            422 => ProviderException.InvalidRequest($"{server} rejected the request (HTTP 422): {ValidationErrors(error.Body) ?? error.Message}"),
            >= 500 when ServerError(error.Body) is { } crash => ProviderException.ProviderUnavailable($"{server} failed (HTTP {status}): {crash}", error.RetryAfter),
            _ => ProviderErrorMapper.Map(server, error),
        };
    }

    private static string? ValidationErrors(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var problems = detail.EnumerateArray()
                .Where(d => d.ValueKind == JsonValueKind.Object)
                .Select(d =>
                {
                    var location = d.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array
                        ? string.Join('.', loc.EnumerateArray().Skip(1).Select(l => l.ToString()))
                        : null;
                    var text = d.TryGetProperty("msg", out var msg) ? msg.GetString() : null;
                    return string.IsNullOrEmpty(location) ? text : $"{location}: {text}";
                })
                .Where(p => !string.IsNullOrWhiteSpace(p))
                .ToList();
            return problems.Count == 0 ? null : ProviderMessage.Clean(string.Join("; ", problems));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? ServerError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var type = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            var text = root.TryGetProperty("errors", out var x) && x.ValueKind == JsonValueKind.String ? x.GetString() : null;
            var combined = (type, text) switch
            {
                ({ Length: > 0 }, { Length: > 0 }) => $"{type}: {text}",
                ({ Length: > 0 }, _) => type,
                (_, { Length: > 0 }) => text,
                _ => null,
            };
            return combined is null ? null : ProviderMessage.Clean(combined);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Scheme, host, port and path only: a base URL may carry user:password.
    private static string Describe(Uri? baseAddress) =>
        baseAddress is null ? "(no base URL)" : baseAddress.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private sealed record GenerationBody(
        string Prompt,
        string NegativePrompt,
        int Width,
        int Height,
        long Seed,
        int BatchSize,
        int NIter,
        int Steps,
        double CfgScale,
        string? SamplerName,
        bool SendImages,
        bool SaveImages,
        List<string>? InitImages,
        double? DenoisingStrength,
        string ForceTaskId);

    private sealed record Answer(List<string>? Images, string? Info);

    private sealed record ProgressQuery(string IdTask, int IdLivePreview, bool LivePreview);

    /// <summary>The web UI's <c>modules/progress.py</c> answer, as far as a cancel needs it.</summary>
    private sealed record Progress(bool Active, bool Queued, bool Completed);
}
