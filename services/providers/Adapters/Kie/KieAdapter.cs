using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Kie;

/// <summary>
/// KIE.ai's Flux Kontext API (https://docs.kie.ai/flux-kontext-api/quickstart), asynchronous: <c>POST
/// api/v1/flux/kontext/generate</c> creates a task (<c>{code, msg, data: {taskId}}</c>), <c>GET
/// api/v1/flux/kontext/record-info?taskId=</c> reports it (<c>successFlag</c> 0 generating, 1 success, 2 create failed,
/// 3 generation failed; <c>response.resultImageUrl</c>, kept 14 days). <c>Authorization: Bearer {key}</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>KIE answers errors inside HTTP 200 bodies: every answer's <c>code</c> is checked (<see cref="KieFailure"/>).</item>
/// <item>One image per task: a job for n images creates n tasks; the first one's id names the attempt, the others ride
/// in the poll state. Images of tasks that failed on their own are left out, with a warning and a proportional cost.</item>
/// <item>The size is the orchestrator's <c>aspectRatio</c> parameter. Editing takes one input image (<c>inputImage</c>):
/// an http(s) URL goes as it is; a data URI is first put on KIE's file upload API (<c>Options:UploadBaseUrl</c>, default
/// <c>https://kieai.redpandaai.co/</c>; files kept 3 days) and its download URL sent.</item>
/// <item><c>enableTranslation</c> is false (prompts go as written) unless <c>Options:EnableTranslation</c>;
/// <c>promptUpsampling</c> from <c>Options:PromptUpsampling</c> (false); <c>safetyTolerance</c> from
/// <c>Options:SafetyTolerance</c> (2; 0 strictest to 6, at most 2 when editing, as KIE allows).</item>
/// <item>Callbacks: <c>callBackUrl</c> is sent only when a webhook address is set and <c>Options:WebhookHmacKey</c> is
/// configured, since an unsigned callback could not be told from a forged one. KIE signs
/// <c>base64(HMAC-SHA256(key, taskId + "." + timestamp))</c> in <c>X-Webhook-Signature</c>, with <c>X-Webhook-Timestamp</c>
/// (https://docs.kie.ai/common-api/webhook-verification); the body itself is not signed, so only the task id is read
/// from it and the task is then polled.</item>
/// <item>KIE has no API to cancel a task: a canceled job's task runs to its end at KIE (and is charged).</item>
/// </list>
/// </remarks>
public sealed class KieAdapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings, TimeProvider time)
    : IWebhookImageProviderAdapter
{
    public const string Id = "kie";
    public const string Name = "KIE";
    public const string DefaultModel = "flux-kontext-pro";
    public const string GeneratePath = "api/v1/flux/kontext/generate";
    public const string RecordInfoPath = "api/v1/flux/kontext/record-info";
    public const string UploadPath = "api/file-base64-upload";
    public const string UploadFolder = "imagegen/inputs";
    public const string AspectRatioParameter = "aspectRatio";

    public const string PollIntervalOption = "PollInterval";
    public const string MaxPollIntervalOption = "MaxPollInterval";
    public const string WebhookPollIntervalOption = "WebhookPollInterval";
    public const string WebhookHmacKeyOption = "WebhookHmacKey";
    public const string WebhookToleranceOption = "WebhookTolerance";
    public const string SafetyToleranceOption = "SafetyTolerance";
    public const string PromptUpsamplingOption = "PromptUpsampling";
    public const string EnableTranslationOption = "EnableTranslation";
    public const string UploadBaseUrlOption = "UploadBaseUrl";

    public const string TimestampHeader = "X-Webhook-Timestamp";
    public const string SignatureHeader = "X-Webhook-Signature";

    /// <summary>Polls made at the short interval before backing off to the long one.</summary>
    public const int FastPolls = 6;

    public const int MaxImages = 4;

    /// <summary>The most permissive safety tolerance KIE takes when editing (generation takes up to 6).</summary>
    public const int MaxEditingSafetyTolerance = 2;

    public static readonly Uri DefaultBaseUrl = new("https://api.kie.ai/");
    public static readonly Uri DefaultUploadBaseUrl = new("https://kieai.redpandaai.co/");
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultMaxPollInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultWebhookPollInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultWebhookTolerance = TimeSpan.FromMinutes(5);

    public static readonly IReadOnlyList<string> AspectRatios = ["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"];

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        if (request.InputImages.Count > 1)
        {
            throw ProviderException.InvalidRequest($"{Name} Flux Kontext edits one image at a time; {request.InputImages.Count} were given.");
        }

        var options = settings.Get(Id);
        var editing = request.InputImages.Count == 1;
        var format = OutputFormat(request.OutputFormat);
        var tolerance = SafetyTolerance(options, editing);
        var callback = request.WebhookUrl is { } webhook && options.Option(WebhookHmacKeyOption) is not null ? webhook.AbsoluteUri : null;
        var client = http.CreateClient(Id);
        var inputImage = editing ? await InputImageAsync(client, request, key, cancellationToken) : null;
        var body = new GenerateBody(
            request.Prompt,
            string.IsNullOrWhiteSpace(request.Model) ? DefaultModel : request.Model.Trim(),
            // Editing without a ratio keeps the input image's; generation always has one.
            request.Parameter(AspectRatioParameter) ?? (editing ? null : NearestAspectRatio(request.Width, request.Height)),
            format,
            inputImage,
            OptionBool(options, EnableTranslationOption) ?? false,
            OptionBool(options, PromptUpsamplingOption) ?? false,
            tolerance,
            callback);

        var count = Math.Clamp(request.Count, 1, MaxImages);
        var tasks = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            try
            {
                tasks.Add(await CreateTaskAsync(client, body, key, cancellationToken));
            }
            catch (ProviderException ex) when (tasks.Count > 0 && request.EstimatedCostUsd is { } estimate)
            {
                // The tasks already created run (and are charged) whatever becomes of this attempt.
                throw new ProviderException(ex.Code, ex.Message, ex.Retryable, ex.InnerException)
                {
                    RetryAfter = ex.RetryAfter,
                    CostUsd = Math.Round(estimate * tasks.Count / count, 6),
                };
            }
        }

        var state = new TaskState(tasks, callback is not null);
        return ProviderSubmission.Pending(tasks[0], Interval(state, 0), JsonSerializer.Serialize(state, ProviderHttp.SnakeCaseJson));
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        var key = poll.RequireCredential();
        var state = State(poll);
        var client = http.CreateClient(Id);
        var outcomes = new List<(string? Url, ProviderException? Failure)>(state.Tasks.Count);
        foreach (var taskId in state.Tasks)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, $"{RecordInfoPath}?taskId={Uri.EscapeDataString(taskId)}").WithBearer(key);
            using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
            var (answer, failure) = await ReadAnswerAsync<TaskRecord>(response, cancellationToken);
            if (failure is not null)
            {
                if (failure.IsUnknownTask)
                {
                    // Lost at KIE (records are kept 14 days): another attempt may do.
                    outcomes.Add((null, ProviderException.ProviderUnavailable($"{Name} no longer knows the task {taskId} ({ProviderMessage.Clean(failure.Message)}).")));
                    continue;
                }

                // Unanswered: a retryable failure is asked again later; a refused key ends the attempt.
                throw failure.ToException("rejected the status request");
            }

            var record = answer!.Data ?? throw ProviderException.ProviderUnavailable($"{Name} reported the task {taskId} without its record.");
            switch (record.SuccessFlag)
            {
                case 0:
                    return ProviderPollResult.Pending(Interval(state, poll.PollCount + 1));
                case 1:
                    var url = record.Response?.ResultImageUrl ?? record.Response?.OriginImageUrl;
                    outcomes.Add(url is null
                        ? (null, ProviderException.ProviderUnavailable($"{Name} finished the task {taskId} without an image URL."))
                        : (url, null));
                    break;
                case 2 or 3:
                    var code = ErrorCode(record.ErrorCode) ?? (record.SuccessFlag == 2 ? 500 : 501);
                    var verb = record.SuccessFlag == 2 ? "could not create the task" : "failed to generate the image";
                    outcomes.Add((null, new KieFailure(code, record.ErrorMessage ?? string.Empty, HttpStatusCode.OK, null).ToException(verb)));
                    break;
                default:
                    throw ProviderException.ProviderUnavailable($"{Name} reported the task {taskId} in a state this worker does not know (successFlag {record.SuccessFlag}).");
            }
        }

        return await CollectAsync(outcomes, poll, cancellationToken);
    }

    /// <summary>Submits and polls in one call, holding the caller until the tasks end; the worker uses the schedule instead.</summary>
    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        this.SubmitAndPollAsync(request, time, cancellationToken);

    public Task<ProviderWebhookNotification> ReadWebhookAsync(ProviderWebhookRequest webhook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        var options = settings.Get(Id);
        var secret = options.Option(WebhookHmacKeyOption)
                     ?? throw new WebhookRejectedException(
                         $"No key to check KIE's callbacks is configured ({ProviderSettings.SectionFor(Id)}:Options:{WebhookHmacKeyOption}); its tasks are only polled.");
        var timestamp = webhook.Header(TimestampHeader)?.Trim() is { Length: > 0 } t ? t : throw new WebhookRejectedException($"The {TimestampHeader} header is missing.");
        var signatures = webhook.Header(SignatureHeader) is { Length: > 0 } s ? s : throw new WebhookRejectedException($"The {SignatureHeader} header is missing.");

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new WebhookRejectedException($"The {TimestampHeader} header is not a Unix time in seconds.");
        }

        var tolerance = options.IntervalOption(Id, WebhookToleranceOption) ?? DefaultWebhookTolerance;
        var skew = webhook.ReceivedAt - DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (skew.Duration() > tolerance)
        {
            throw new WebhookRejectedException($"The callback was signed {Math.Abs(skew.TotalSeconds):0} s away from its arrival; at most {tolerance.TotalSeconds:0} s is accepted.");
        }

        var taskId = CallbackTaskId(webhook.Body) ?? throw new WebhookRejectedException("The callback body names no task (data.taskId).");
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{taskId}.{timestamp}"));
        foreach (var candidate in signatures.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var given = new byte[expected.Length + 3];
            if (Convert.TryFromBase64String(candidate, given, out var written)
                && CryptographicOperations.FixedTimeEquals(expected, given.AsSpan(0, written)))
            {
                return Task.FromResult(new ProviderWebhookNotification(taskId, Finished: true));
            }
        }

        throw new WebhookRejectedException("The callback's signature does not match its task and timestamp.");
    }

    private async Task<string> CreateTaskAsync(HttpClient client, GenerateBody body, string key, CancellationToken cancellationToken)
    {
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, GeneratePath, body, ProviderHttp.CamelCaseJson).WithBearer(key);
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        var (answer, failure) = await ReadAnswerAsync<CreatedTask>(response, cancellationToken);
        if (failure is not null)
        {
            throw failure.ToException();
        }

        return answer!.Data?.TaskId is { Length: > 0 } taskId
            ? taskId
            : throw ProviderException.ProviderUnavailable($"{Name} accepted the task without giving its id.");
    }

    /// <summary>The input image as a URL KIE can fetch: an http(s) URL as it is, a data URI uploaded to KIE's file store first.</summary>
    private async Task<string> InputImageAsync(HttpClient client, ProviderRequest request, string key, CancellationToken cancellationToken)
    {
        var image = request.InputImages[0].Trim();
        if (Uri.TryCreate(image, UriKind.Absolute, out var url) && url.Scheme is "https" or "http")
        {
            return url.AbsoluteUri;
        }

        if (!image.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            throw ProviderException.InvalidRequest($"The input image for {Name} must be an http(s) URL or a data URI of an image.");
        }

        ProviderImage decoded;
        try
        {
            decoded = ImageInspector.FromBase64(image);
        }
        catch (ProviderException ex)
        {
            throw ProviderException.InvalidRequest("The input image's data URI does not hold a PNG, JPEG, WebP or GIF image.", ex);
        }

        var extension = decoded.ContentType switch
        {
            "image/jpeg" => "jpg",
            "image/webp" => "webp",
            "image/gif" => "gif",
            _ => "png",
        };
        var upload = new UploadBody(image, UploadFolder, $"{request.JobId:N}-{request.Attempt}.{extension}");
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, new Uri(UploadBaseUrl(), UploadPath).AbsoluteUri, upload, ProviderHttp.CamelCaseJson)
            .WithBearer(key);
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        var (answer, failure) = await ReadAnswerAsync<UploadedFile>(response, cancellationToken);
        if (failure is not null)
        {
            throw failure.ToException("rejected the input image upload");
        }

        return answer!.Data?.DownloadUrl is { Length: > 0 } downloadUrl
            ? downloadUrl
            : throw ProviderException.ProviderUnavailable($"{Name} stored the input image without giving its URL.");
    }

    /// <summary>KIE's answer, or its failure: the HTTP status first, then the body's <c>code</c> (errors arrive inside HTTP 200).</summary>
    private async Task<(Answer<T>? Answer, KieFailure? Failure)> ReadAnswerAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            return (null, await KieFailure.ReadAsync(response, cancellationToken));
        }

        var answer = await response.ReadJsonAsync<Answer<T>>(Name, cancellationToken, ProviderHttp.CamelCaseJson);
        if (answer.Code == 200)
        {
            return (answer, null);
        }

        return (null, new KieFailure(
            answer.Code ?? (int)HttpStatusCode.BadGateway,
            answer.Msg ?? string.Empty,
            response.StatusCode,
            ProviderErrorMapper.ParseRetryAfter(response.Headers, time.GetUtcNow())));
    }

    private async Task<ProviderPollResult> CollectAsync(List<(string? Url, ProviderException? Failure)> outcomes, ProviderPoll poll, CancellationToken cancellationToken)
    {
        var images = new List<ProviderImage>(outcomes.Count);
        foreach (var (url, _) in outcomes)
        {
            if (url is not null)
            {
                images.Add(Uri.TryCreate(url, UriKind.Absolute, out var absolute)
                    ? await fetcher.FetchAsync(absolute, Name, cancellationToken)
                    : throw ProviderException.ProviderUnavailable($"{Name} returned an image URL that is not absolute."));
            }
        }

        var failures = outcomes.Where(o => o.Failure is not null).Select(o => o.Failure!).ToList();
        if (images.Count == 0)
        {
            return ProviderPollResult.Failed(failures.FirstOrDefault() ?? ProviderException.ProviderUnavailable($"{Name} finished without any image."));
        }

        var model = string.IsNullOrWhiteSpace(poll.Model) ? DefaultModel : poll.Model;
        if (failures.Count == 0)
        {
            return ProviderPollResult.Completed(new ProviderResult(model, images));
        }

        // KIE charges the tasks that made an image.
        decimal? cost = poll.EstimatedCostUsd is { } estimate ? Math.Round(estimate * images.Count / outcomes.Count, 6) : null;
        return ProviderPollResult.Completed(new ProviderResult(model, images, cost)
        {
            Warnings = [$"{Name} made {images.Count} of the {outcomes.Count} images asked for; the others failed: {failures[0].Message}"],
        });
    }

    private static TaskState State(ProviderPoll poll)
    {
        if (!string.IsNullOrEmpty(poll.State))
        {
            try
            {
                if (JsonSerializer.Deserialize<TaskState>(poll.State, ProviderHttp.SnakeCaseJson) is { Tasks.Count: > 0 and <= MaxImages } stored
                    && stored.Tasks.All(t => !string.IsNullOrWhiteSpace(t)))
                {
                    return stored;
                }
            }
            catch (JsonException)
            {
                // The task id alone is enough to ask about it.
            }
        }

        return new TaskState([poll.TaskId], false);
    }

    private static string? CallbackTaskId(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            // Flux Kontext callbacks carry data.taskId; KIE's verification guide reads data.task_id.
            var data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : root;
            foreach (var name in (string[])["taskId", "task_id"])
            {
                if (data.TryGetProperty(name, out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } taskId)
                {
                    return taskId;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int? ErrorCode(JsonElement? code) => code switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var value) => value,
        { ValueKind: JsonValueKind.String } s when int.TryParse(s.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) => value,
        _ => null,
    };

    public static string NearestAspectRatio(int width, int height)
    {
        var asked = Math.Log((double)Math.Max(width, 1) / Math.Max(height, 1));
        return AspectRatios.OrderBy(r =>
        {
            var parts = r.Split(':');
            return Math.Abs(Math.Log(double.Parse(parts[0], CultureInfo.InvariantCulture) / double.Parse(parts[1], CultureInfo.InvariantCulture)) - asked);
        }).First();
    }

    private static string OutputFormat(ImageOutputFormat format) => format switch
    {
        ImageOutputFormat.Png => "png",
        ImageOutputFormat.Jpeg => "jpeg",
        _ => throw ProviderException.InvalidRequest($"{Name} Flux Kontext makes png or jpeg images, not {format.ToString().ToLowerInvariant()}."),
    };

    private static int SafetyTolerance(ProviderSettings options, bool editing)
    {
        var value = options.Option(SafetyToleranceOption);
        var tolerance = value is null ? 2
            // The range is KIE's to enforce (0-6 today): a value it refuses comes back as its own error.
            : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{SafetyToleranceOption} is '{value}'; set 0 (strictest) to 6.");
        return editing ? Math.Min(tolerance, MaxEditingSafetyTolerance) : tolerance;
    }

    private Uri UploadBaseUrl()
    {
        var configured = settings.Get(Id).Option(UploadBaseUrlOption);
        if (configured is null)
        {
            return DefaultUploadBaseUrl;
        }

        return Uri.TryCreate(configured, UriKind.Absolute, out var url) && url.Scheme is "https" or "http"
            ? ProviderHttp.WithTrailingSlash(url)
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{UploadBaseUrlOption} is '{configured}'; set an absolute https URL.");
    }

    private TimeSpan Interval(TaskState state, int pollsMade)
    {
        var configured = settings.Get(Id);
        if (state.Callback)
        {
            return configured.IntervalOption(Id, WebhookPollIntervalOption) ?? DefaultWebhookPollInterval;
        }

        var fast = configured.IntervalOption(Id, PollIntervalOption) ?? DefaultPollInterval;
        var slow = configured.IntervalOption(Id, MaxPollIntervalOption) ?? DefaultMaxPollInterval;
        return pollsMade < FastPolls ? fast : (slow < fast ? fast : slow);
    }


    private static bool? OptionBool(ProviderSettings options, string name)
    {
        var value = options.Option(name);
        return value is null ? null
            : bool.TryParse(value, out var flag) ? flag
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{name} is '{value}'; set it to true or false.");
    }

    private sealed record GenerateBody(
        string Prompt,
        string Model,
        string? AspectRatio,
        string OutputFormat,
        string? InputImage,
        bool EnableTranslation,
        bool PromptUpsampling,
        int SafetyTolerance,
        string? CallBackUrl);

    private sealed record UploadBody(string Base64Data, string UploadPath, string FileName);

    private sealed record Answer<T>(int? Code, string? Msg, T? Data);

    private sealed record CreatedTask(string? TaskId);

    private sealed record UploadedFile(string? FileName, string? DownloadUrl, string? MimeType);

    private sealed record TaskRecord(string? TaskId, TaskResponse? Response, int SuccessFlag, JsonElement? ErrorCode, string? ErrorMessage);

    private sealed record TaskResponse(string? OriginImageUrl, string? ResultImageUrl);

    private sealed record TaskState(List<string> Tasks, bool Callback);
}
