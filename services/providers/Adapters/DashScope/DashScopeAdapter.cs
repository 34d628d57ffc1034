using System.Globalization;
using System.Net;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.DashScope;

/// <summary>
/// Alibaba Cloud Model Studio (DashScope) Wan text-to-image, an asynchronous task API: <c>POST
/// services/aigc/text2image/image-synthesis</c> with <c>X-DashScope-Async: enable</c> creates a task, <c>GET
/// tasks/{task_id}</c> reports it (<c>PENDING → RUNNING → SUCCEEDED | FAILED</c>, also <c>CANCELED</c> and
/// <c>UNKNOWN</c> for an expired id). Source: https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The size is the orchestrator's <c>size</c> parameter ("1024*1536": DashScope separates with '*').</item>
/// <item>Polls every <c>Providers:dashscope:Options:PollInterval</c> (5 s) for the first polls, then every
/// <c>MaxPollInterval</c> (10 s), the cadence DashScope asks for.</item>
/// <item>Result URLs live 24 hours; they are downloaded at once. A result can fail on its own (<c>{code, message}</c>
/// in place of a URL): the others are delivered, and charged, alone.</item>
/// <item><c>watermark</c> is false and <c>prompt_extend</c> left to the API unless configured
/// (<c>Options:Watermark</c>, <c>Options:PromptExtend</c>); a job's own <c>prompt_extend</c> parameter wins.</item>
/// <item>Keys are per region: the default base is Singapore (international); Beijing is
/// <c>https://dashscope.aliyuncs.com/api/v1/</c>.</item>
/// </list>
/// </remarks>
public sealed class DashScopeAdapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings, TimeProvider time)
    : IAsyncImageProviderAdapter
{
    public const string Id = "dashscope";
    public const string Name = "DashScope";
    public const string DefaultModel = "wan2.2-t2i-flash";
    public const string SubmitPath = "services/aigc/text2image/image-synthesis";
    public const string PollIntervalOption = "PollInterval";
    public const string MaxPollIntervalOption = "MaxPollInterval";
    public const string WatermarkOption = "Watermark";
    public const string PromptExtendOption = "PromptExtend";

    /// <summary>Polls made at the short interval before backing off to the long one.</summary>
    public const int FastPolls = 6;

    public static readonly Uri DefaultBaseUrl = new("https://dashscope-intl.aliyuncs.com/api/v1/");
    public static readonly Uri BeijingBaseUrl = new("https://dashscope.aliyuncs.com/api/v1/");
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultMaxPollInterval = TimeSpan.FromSeconds(10);

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"{Name} Wan text-to-image makes images from text only; it takes no input image.");
        }

        var count = Math.Clamp(request.Count, 1, 4);
        var body = new SubmitBody(
            string.IsNullOrWhiteSpace(request.Model) ? DefaultModel : request.Model,
            new SubmitInput(request.Prompt, string.IsNullOrWhiteSpace(request.NegativePrompt) ? null : request.NegativePrompt),
            new SubmitParameters(
                request.Parameter("size") ?? string.Create(CultureInfo.InvariantCulture, $"{request.Width}*{request.Height}"),
                count,
                // DashScope takes seeds 0 to 2^31-1.
                request.Seed % ((long)int.MaxValue + 1),
                ParseBool(request.Parameter("prompt_extend"), "prompt_extend") ?? OptionBool(PromptExtendOption),
                OptionBool(WatermarkOption) ?? false));

        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, SubmitPath, body).WithBearer(key);
        message.Headers.Add("X-DashScope-Async", "enable");
        using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadFailureAsync(response, cancellationToken);
        }

        var answer = await response.ReadJsonAsync<TaskAnswer>(Name, cancellationToken);
        if (answer.Output?.TaskId is not { Length: > 0 } taskId)
        {
            throw answer.Code is not null
                ? MapError(response.StatusCode, answer.Code, answer.Message)
                : ProviderException.ProviderUnavailable($"{Name} accepted the task without giving its id.");
        }

        return ProviderSubmission.Pending(taskId, Interval(0), count.ToString(CultureInfo.InvariantCulture));
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        var key = poll.RequireCredential();
        using var message = new HttpRequestMessage(HttpMethod.Get, $"tasks/{Uri.EscapeDataString(poll.TaskId)}").WithBearer(key);
        using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadFailureAsync(response, cancellationToken);
        }

        var answer = await response.ReadJsonAsync<TaskAnswer>(Name, cancellationToken);
        var output = answer.Output ?? throw ProviderException.ProviderUnavailable($"{Name} reported the task without its status.");
        switch (output.TaskStatus)
        {
            case "PENDING" or "RUNNING" or "SUSPENDED":
                return ProviderPollResult.Pending(Interval(poll.PollCount + 1));
            case "SUCCEEDED":
                return await CollectAsync(output, poll, cancellationToken);
            case "FAILED":
                return ProviderPollResult.Failed(MapError(HttpStatusCode.OK, output.Code, output.Message, "failed the task"));
            case "CANCELED":
                return ProviderPollResult.Failed(ProviderException.Internal($"{Name} reports that the task {poll.TaskId} was canceled."));
            case "UNKNOWN":
                // The id expired or never existed (tasks are kept 24 hours): this task is lost, another attempt may do.
                return ProviderPollResult.Failed(ProviderException.ProviderUnavailable($"{Name} no longer knows the task {poll.TaskId} (it expired or never existed)."));
            default:
                throw ProviderException.ProviderUnavailable($"{Name} reported the task in a status this worker does not know: '{ProviderMessage.Clean(output.TaskStatus)}'.");
        }
    }

    /// <summary>Submits and polls in one call, holding the caller until the task ends; the worker uses the schedule instead.</summary>
    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        this.SubmitAndPollAsync(request, time, cancellationToken);

    private async Task<ProviderPollResult> CollectAsync(TaskOutput output, ProviderPoll poll, CancellationToken cancellationToken)
    {
        var results = output.Results ?? [];
        var images = new List<ProviderImage>(results.Count);
        TaskResult? firstFailure = null;
        foreach (var result in results)
        {
            if (Uri.TryCreate(result.Url, UriKind.Absolute, out var url))
            {
                images.Add(await fetcher.FetchAsync(url, Name, cancellationToken));
            }
            else
            {
                firstFailure ??= result;
            }
        }

        if (images.Count == 0)
        {
            return ProviderPollResult.Failed(firstFailure is null
                ? ProviderException.ProviderUnavailable($"{Name} finished the task without any image.")
                : MapError(HttpStatusCode.OK, firstFailure.Code, firstFailure.Message, "could not make any image"));
        }

        var model = string.IsNullOrWhiteSpace(poll.Model) ? DefaultModel : poll.Model;
        // DashScope charges successful images only: fewer delivered than asked cost proportionally less.
        var requested = int.TryParse(poll.State, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : images.Count;
        decimal? cost = poll.EstimatedCostUsd is { } estimate && images.Count < requested ? Math.Round(estimate * images.Count / requested, 6) : null;
        return ProviderPollResult.Completed(new ProviderResult(model, images, cost));
    }

    private static async Task<ProviderException> ReadFailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        return MapError(error.StatusCode, error.Code, error.Message, retryAfter: error.RetryAfter);
    }

    /// <summary>
    /// DashScope's codes first (they say more than the status, and arrive in task results with no status at all), then the status.
    /// Codes: https://www.alibabacloud.com/help/en/model-studio/error-code.
    /// </summary>
    private static ProviderException MapError(HttpStatusCode status, string? code, string? providerMessage, string what = "rejected the request", TimeSpan? retryAfter = null)
    {
        var said = ProviderMessage.Clean(providerMessage);
        var where = status == HttpStatusCode.OK ? "task result" : $"HTTP {(int)status}";
        var context = code is null ? where : $"{where}, {code}";
        string Text(string verb) => said.Length == 0 ? $"{Name} {verb} ({context})." : $"{Name} {verb} ({context}): {said}";

        return code switch
        {
            null => FromStatus(),
            _ when code.Contains("DataInspection", StringComparison.OrdinalIgnoreCase) || code.Contains("data_inspection", StringComparison.OrdinalIgnoreCase)
                   || code.Contains("IPInfringementSuspect", StringComparison.Ordinal) => ProviderException.ContentPolicy(Text("refused the content")),
            "Arrearage" => ProviderException.InsufficientCredit(Text("reports that the account has an overdue payment")),
            "InvalidApiKey" => ProviderException.Authentication(Text("did not accept the API key")),
            _ when code.StartsWith("AccessDenied", StringComparison.Ordinal) || code == "Model.AccessDenied" =>
                ProviderException.Authentication(Text("does not let this key use the model or API")),
            _ when code.StartsWith("Throttling", StringComparison.Ordinal) || code.Contains("RateQuota", StringComparison.Ordinal) =>
                ProviderException.RateLimited(Text("is rate limiting requests"), retryAfter),
            _ when code.StartsWith("InternalError", StringComparison.Ordinal) || code == "SystemError" =>
                ProviderException.ProviderUnavailable(Text("had an internal error"), retryAfter),
            _ when code.StartsWith("InvalidParameter", StringComparison.Ordinal) || code == "BadRequest.EmptyInput" || code.StartsWith("ModelNotFound", StringComparison.Ordinal) =>
                ProviderException.InvalidRequest(Text(what)),
            _ => FromStatus(),
        };

        ProviderException FromStatus() => (int)status is >= 200 and < 300
            // A task failure this adapter does not know: another attempt may fare better.
            ? ProviderException.ProviderUnavailable(Text(what))
            : ProviderErrorMapper.Map(Name, status, $"{(code is null ? string.Empty : $"{code}: ")}{said}", retryAfter);
    }

    private TimeSpan Interval(int pollsMade)
    {
        var configured = settings.Get(Id);
        var fast = configured.IntervalOption(Id, PollIntervalOption) ?? DefaultPollInterval;
        var slow = configured.IntervalOption(Id, MaxPollIntervalOption) ?? DefaultMaxPollInterval;
        return pollsMade < FastPolls ? fast : (slow < fast ? fast : slow);
    }


    private bool? OptionBool(string name)
    {
        var value = settings.Get(Id).Option(name);
        return value is null ? null
            : bool.TryParse(value, out var flag) ? flag
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{name} is '{value}'; set it to true or false.");
    }

    private static bool? ParseBool(string? value, string name) =>
        value is null ? null
        : bool.TryParse(value, out var flag) ? flag
        : throw ProviderException.InvalidRequest($"The parameter {name} is '{value}'; use true or false.");

    private sealed record SubmitBody(string Model, SubmitInput Input, SubmitParameters Parameters);

    private sealed record SubmitInput(string Prompt, string? NegativePrompt);

    private sealed record SubmitParameters(string Size, int N, long Seed, bool? PromptExtend, bool Watermark);

    private sealed record TaskAnswer(string? RequestId, TaskOutput? Output, string? Code, string? Message);

    private sealed record TaskOutput(string? TaskId, string? TaskStatus, List<TaskResult>? Results, string? Code, string? Message);

    private sealed record TaskResult(string? Url, string? Code, string? Message, string? OrigPrompt, string? ActualPrompt);
}
