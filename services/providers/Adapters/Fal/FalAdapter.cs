using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Fal;

/// <summary>
/// fal.ai's queue API (https://docs.fal.ai/model-endpoints/queue): <c>POST {model}</c> queues a request and answers
/// <c>{request_id, status_url, response_url, cancel_url}</c>; <c>GET status_url</c> reports <c>IN_QUEUE</c> or
/// <c>IN_PROGRESS</c> (HTTP 202) and then <c>COMPLETED</c> (200); <c>GET response_url</c> gives the output or the
/// model's error; <c>PUT cancel_url</c> cancels. <c>Authorization: Key {key}</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The size is the orchestrator's <c>image_size</c> parameter: a preset name (<c>portrait_4_3</c>) sent as it is, or
/// <c>WIDTHxHEIGHT</c> sent as fal's <c>{"width", "height"}</c>.</item>
/// <item>The status, result and cancel URLs fal returns are kept in the poll state, but they are only ever called when
/// they are on the configured base URL's origin (scheme, host, port): the state lives in Redis and the URLs carry the
/// key's requests, so anything else is replaced by the same path built on the base URL. Status and result paths name
/// the app only (<c>fal-ai/flux</c>, not <c>fal-ai/flux/dev</c>).</item>
/// <item>With a webhook address, the request carries <c>?fal_webhook=</c> and the poll is a safety net every
/// <c>Options:WebhookPollInterval</c> (30 s); otherwise polls come every <c>Options:PollInterval</c> (1 s), then
/// <c>Options:MaxPollInterval</c> (5 s).</item>
/// <item><c>enable_safety_checker</c> is on unless <c>Options:EnableSafetyChecker</c> is false. Images it flags
/// (<c>has_nsfw_concepts</c>) are blacked out by fal: they are withheld, with a warning on the result when others
/// remain and a <c>content_policy</c> failure when none does. FLUX1.1 [pro] also gets <c>safety_tolerance</c>
/// (<c>Options:SafetyTolerance</c>, "1" strict to "6", default "2").</item>
/// <item>Webhooks are verified as fal documents (https://docs.fal.ai/model-endpoints/webhooks): Ed25519 over
/// <c>request_id \n user_id \n timestamp \n hex(sha256(body))</c> against fal's key set (<see cref="FalWebhookKeys"/>),
/// the timestamp within <c>Options:WebhookTolerance</c> (5 min), and the user id equal to
/// <c>Options:WebhookUserId</c> when that is set (anyone with a fal account can make fal sign a webhook to any URL).</item>
/// </list>
/// </remarks>
public sealed partial class FalAdapter(
    IHttpClientFactory http,
    ResultImageFetcher fetcher,
    IOptionsMonitor<ProviderSettings> settings,
    FalWebhookKeys webhookKeys,
    TimeProvider time) : IWebhookImageProviderAdapter
{
    public const string Id = "fal";
    public const string Name = "fal";
    public const string DefaultModel = "fal-ai/flux/schnell";
    public const string ImageSizeParameter = "image_size";
    public const string WebhookQueryParameter = "fal_webhook";

    public const string PollIntervalOption = "PollInterval";
    public const string MaxPollIntervalOption = "MaxPollInterval";
    public const string WebhookPollIntervalOption = "WebhookPollInterval";
    public const string EnableSafetyCheckerOption = "EnableSafetyChecker";
    public const string SafetyToleranceOption = "SafetyTolerance";
    public const string WebhookToleranceOption = "WebhookTolerance";
    public const string WebhookUserIdOption = "WebhookUserId";

    public const string RequestIdHeader = "X-Fal-Webhook-Request-Id";
    public const string UserIdHeader = "X-Fal-Webhook-User-Id";
    public const string TimestampHeader = "X-Fal-Webhook-Timestamp";
    public const string SignatureHeader = "X-Fal-Webhook-Signature";

    /// <summary>Polls made at the short interval before backing off to the long one.</summary>
    public const int FastPolls = 5;

    public const int MaxImages = 4;

    public static readonly Uri DefaultBaseUrl = new("https://queue.fal.run/");
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxPollInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultWebhookPollInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultWebhookTolerance = TimeSpan.FromMinutes(5);

    /// <summary>fal's named sizes (https://docs.fal.ai/documentation/model-apis/model-arguments).</summary>
    public static readonly IReadOnlyDictionary<string, (int Width, int Height)> Presets = new Dictionary<string, (int, int)>(StringComparer.Ordinal)
    {
        ["square_hd"] = (1024, 1024),
        ["square"] = (512, 512),
        ["portrait_4_3"] = (768, 1024),
        ["portrait_16_9"] = (576, 1024),
        ["landscape_4_3"] = (1024, 768),
        ["landscape_16_9"] = (1024, 576),
    };

    private static readonly JsonSerializerOptions StateJson = ProviderHttp.SnakeCaseJson;

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        var model = ModelId(request.Model);
        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"{Name} model {model} makes images from text only; it takes no input image.");
        }

        var count = Math.Clamp(request.Count, 1, MaxImages);
        var options = settings.Get(Id);
        var input = new QueueInput(
            request.Prompt,
            ImageSize(request),
            count,
            request.Seed,
            OutputFormat(request.OutputFormat),
            OptionBool(options, EnableSafetyCheckerOption) ?? true,
            IsPro(model) ? SafetyTolerance(options) : null);

        var path = request.WebhookUrl is { } webhook
            ? $"{model}?{WebhookQueryParameter}={Uri.EscapeDataString(webhook.AbsoluteUri)}"
            : model;
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, path, input).WithKey(key);
        var client = http.CreateClient(Id);
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw (await FalFailure.ReadAsync(response, cancellationToken)).ToException();
        }

        var answer = await response.ReadJsonAsync<QueueAnswer>(Name, cancellationToken);
        if (answer.RequestId is not { Length: > 0 } requestId)
        {
            throw ProviderException.ProviderUnavailable($"{Name} queued the request without giving its id.");
        }

        var baseUrl = BaseUrl(client);
        var state = new QueueState(
            OnOrigin(answer.StatusUrl, baseUrl) ?? Built(baseUrl, model, requestId, "/status"),
            OnOrigin(answer.ResponseUrl, baseUrl) ?? Built(baseUrl, model, requestId, string.Empty),
            OnOrigin(answer.CancelUrl, baseUrl) ?? Built(baseUrl, model, requestId, "/cancel"),
            count,
            request.WebhookUrl is not null);
        return ProviderSubmission.Pending(requestId, Interval(state, 0), JsonSerializer.Serialize(state, StateJson));
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        var key = poll.RequireCredential();
        var client = http.CreateClient(Id);
        var state = State(poll, BaseUrl(client));

        using (var message = new HttpRequestMessage(HttpMethod.Get, state.StatusUrl).WithKey(key))
        using (var response = await client.SendToProviderAsync(message, Name, cancellationToken))
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                var lost = await FalFailure.ReadAsync(response, cancellationToken);
                return ProviderPollResult.Failed(ProviderException.ProviderUnavailable(
                    $"{Name} does not know the request {poll.TaskId} (HTTP 404{(lost.Message.Length == 0 ? string.Empty : $": {lost.Message}")})."));
            }

            if (!response.IsSuccessStatusCode)
            {
                // Unanswered: a retryable failure is asked again later; a refused key ends the attempt.
                throw (await FalFailure.ReadAsync(response, cancellationToken)).ToException("rejected the status request");
            }

            var status = await response.ReadJsonAsync<StatusAnswer>(Name, cancellationToken);
            switch (status.Status)
            {
                case "IN_QUEUE" or "IN_PROGRESS":
                    return ProviderPollResult.Pending(Interval(state, poll.PollCount + 1));
                case "COMPLETED":
                    break;
                case "CANCELED" or "CANCELLED":
                    return ProviderPollResult.Failed(ProviderException.Internal($"{Name} reports that the request {poll.TaskId} was canceled."));
                default:
                    throw ProviderException.ProviderUnavailable($"{Name} reported the request in a status this worker does not know: '{ProviderMessage.Clean(status.Status)}'.");
            }
        }

        using var resultMessage = new HttpRequestMessage(HttpMethod.Get, state.ResponseUrl).WithKey(key);
        using var result = await client.SendToProviderAsync(resultMessage, Name, cancellationToken);
        if (!result.IsSuccessStatusCode)
        {
            var failure = await FalFailure.ReadAsync(result, cancellationToken);
            // fal answers the result URL of a failed request with the request's own error. A throttled read, or a 5xx
            // without fal's error type (a proxy's, not fal's verdict), is only a question not answered yet.
            if (failure.Status == HttpStatusCode.TooManyRequests || ((int)failure.Status >= 500 && !failure.IsRequestError))
            {
                throw failure.ToException("rejected the result request");
            }

            return ProviderPollResult.Failed(failure.ToException());
        }

        var output = await result.ReadJsonAsync<Output>(Name, cancellationToken);
        return await CollectAsync(output, poll, state, cancellationToken);
    }

    /// <summary>Submits and polls in one call, holding the caller until the request ends; the worker uses the schedule instead.</summary>
    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        this.SubmitAndPollAsync(request, time, cancellationToken);

    /// <summary>
    /// <c>PUT cancel_url</c>: fal drops a queued request and signals a running one to stop. A request that already
    /// ended (<c>ALREADY_COMPLETED</c>) or that fal no longer knows (<c>NOT_FOUND</c>) has nothing left to stop.
    /// </summary>
    public async Task CancelAsync(ProviderPoll task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var key = task.RequireCredential();
        var client = http.CreateClient(Id);
        var state = State(task, BaseUrl(client));
        using var message = new HttpRequestMessage(HttpMethod.Put, state.CancelUrl).WithKey(key);
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var failure = await FalFailure.ReadAsync(response, cancellationToken);
        if (failure.QueueStatus is "ALREADY_COMPLETED" or "NOT_FOUND" || response.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        throw failure.ToException("refused to cancel the request");
    }

    public async Task<ProviderWebhookNotification> ReadWebhookAsync(ProviderWebhookRequest webhook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        string Required(string header) =>
            webhook.Header(header) is { Length: > 0 } value ? value.Trim() : throw new WebhookRejectedException($"The {header} header is missing.");

        var requestId = Required(RequestIdHeader);
        var userId = Required(UserIdHeader);
        var timestamp = Required(TimestampHeader);
        var signatureHex = Required(SignatureHeader);
        var options = settings.Get(Id);

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new WebhookRejectedException($"The {TimestampHeader} header is not a Unix time in seconds.");
        }

        var tolerance = options.IntervalOption(Id, WebhookToleranceOption) ?? DefaultWebhookTolerance;
        var skew = webhook.ReceivedAt - DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (skew.Duration() > tolerance)
        {
            throw new WebhookRejectedException($"The webhook was signed {Math.Abs(skew.TotalSeconds):0} s away from its arrival; at most {tolerance.TotalSeconds:0} s is accepted.");
        }

        if (options.Option(WebhookUserIdOption) is { } expectedUser
            && !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expectedUser), Encoding.UTF8.GetBytes(userId)))
        {
            throw new WebhookRejectedException($"The webhook was sent for another fal account than {ProviderSettings.SectionFor(Id)}:Options:{WebhookUserIdOption}.");
        }

        byte[] signature;
        try
        {
            signature = Convert.FromHexString(signatureHex);
        }
        catch (FormatException)
        {
            throw new WebhookRejectedException($"The {SignatureHeader} header is not hexadecimal.");
        }

        if (signature.Length != FalWebhookKeys.SignatureBytes)
        {
            throw new WebhookRejectedException($"The {SignatureHeader} header is not an Ed25519 signature.");
        }

        var signed = Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(webhook.Body.Span))}");
        if (!await webhookKeys.VerifyAsync(signed, signature, cancellationToken))
        {
            throw new WebhookRejectedException("The signature was not made by any of fal's webhook keys for this body.");
        }

        // The body's request_id is the queue's id (gateway_request_id can differ after fal retried the request).
        try
        {
            using var document = JsonDocument.Parse(webhook.Body);
            var root = document.RootElement;
            var taskId = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
            return new ProviderWebhookNotification(string.IsNullOrEmpty(taskId) ? requestId : taskId, Finished: true);
        }
        catch (JsonException)
        {
            throw new WebhookRejectedException("The webhook body is not JSON.");
        }
    }

    private async Task<ProviderPollResult> CollectAsync(Output output, ProviderPoll poll, QueueState state, CancellationToken cancellationToken)
    {
        var items = output.Images ?? [];
        var flags = output.HasNsfwConcepts ?? [];
        var model = string.IsNullOrWhiteSpace(poll.Model) ? DefaultModel : poll.Model;
        var flagged = Enumerable.Range(0, items.Count).Count(i => i < flags.Count && flags[i] == true);
        if (items.Count == 0)
        {
            return ProviderPollResult.Failed(ProviderException.ProviderUnavailable($"{Name} completed the request {poll.TaskId} without any image."));
        }

        if (flagged == items.Count)
        {
            // The images were made (and billed) before the checker blacked them out.
            return ProviderPollResult.Failed(ProviderException.ContentPolicy(
                $"{Name}'s safety checker flagged {(items.Count == 1 ? "the image" : $"all {items.Count} images")} as not safe for work; nothing was delivered.",
                poll.EstimatedCostUsd));
        }

        var images = new List<ProviderImage>(items.Count - flagged);
        for (var i = 0; i < items.Count; i++)
        {
            if (i < flags.Count && flags[i] == true)
            {
                continue;
            }

            var url = items[i].Url;
            images.Add(url is not null && url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                ? ImageInspector.FromBase64(url)
                : Uri.TryCreate(url, UriKind.Absolute, out var absolute)
                    ? await fetcher.FetchAsync(absolute, Name, cancellationToken)
                    : throw ProviderException.ProviderUnavailable($"{Name} returned an image without a usable URL."));
        }

        var warnings = new List<string>();
        if (flagged > 0)
        {
            warnings.Add($"{Name}'s safety checker flagged {flagged} of {items.Count} images as not safe for work; they were withheld and {images.Count} delivered.");
        }

        if (items.Count < state.Count)
        {
            warnings.Add($"{Name} made {items.Count} of the {state.Count} images asked for.");
        }

        return ProviderPollResult.Completed(new ProviderResult(model, images) { Warnings = warnings });
    }

    private static string ModelId(string? requested)
    {
        var model = string.IsNullOrWhiteSpace(requested) ? DefaultModel : requested.Trim();
        // The model id becomes the request path: nothing but owner/app[/path] segments may reach it.
        return ModelPattern().IsMatch(model)
            ? model
            : throw ProviderException.InvalidRequest($"'{ProviderMessage.Clean(model)}' is not a fal model id; ids look like fal-ai/flux/schnell.");
    }

    private static bool IsPro(string model) => model.StartsWith("fal-ai/flux-pro", StringComparison.Ordinal);

    private static object ImageSize(ProviderRequest request)
    {
        var value = request.Parameter(ImageSizeParameter)?.Trim();
        if (value is null)
        {
            return new CustomSize(request.Width, request.Height);
        }

        if (Presets.ContainsKey(value))
        {
            return value;
        }

        var parts = value.Split('x', 'X');
        return parts.Length == 2
               && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width > 0
               && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height) && height > 0
            ? new CustomSize(width, height)
            : throw ProviderException.InvalidRequest(
                $"The parameter {ImageSizeParameter} is '{ProviderMessage.Clean(value)}'; use one of {string.Join(", ", Presets.Keys)} or WIDTHxHEIGHT.");
    }

    private static string OutputFormat(ImageOutputFormat format) => format switch
    {
        ImageOutputFormat.Png => "png",
        ImageOutputFormat.Jpeg => "jpeg",
        _ => throw ProviderException.InvalidRequest($"{Name}'s FLUX models make png or jpeg images, not {format.ToString().ToLowerInvariant()}."),
    };

    private static string SafetyTolerance(ProviderSettings options)
    {
        var value = options.Option(SafetyToleranceOption) ?? "2";
        return value is "1" or "2" or "3" or "4" or "5" or "6"
            ? value
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{SafetyToleranceOption} is '{value}'; set 1 (strictest) to 6.");
    }

    private QueueState State(ProviderPoll poll, Uri baseUrl)
    {
        QueueState? stored = null;
        if (!string.IsNullOrEmpty(poll.State))
        {
            try
            {
                stored = JsonSerializer.Deserialize<QueueState>(poll.State, StateJson);
            }
            catch (JsonException)
            {
                // Rebuilt from the task id below.
            }
        }

        var model = ModelId(poll.Model);
        return new QueueState(
            OnOrigin(stored?.StatusUrl, baseUrl) ?? Built(baseUrl, model, poll.TaskId, "/status"),
            OnOrigin(stored?.ResponseUrl, baseUrl) ?? Built(baseUrl, model, poll.TaskId, string.Empty),
            OnOrigin(stored?.CancelUrl, baseUrl) ?? Built(baseUrl, model, poll.TaskId, "/cancel"),
            stored?.Count is > 0 and <= MaxImages ? stored.Count : 1,
            stored?.Webhook ?? false);
    }

    private Uri BaseUrl(HttpClient client) =>
        client.BaseAddress ?? ProviderHttp.WithTrailingSlash(settings.Get(Id).BaseUrl ?? DefaultBaseUrl);

    /// <summary>The URL when it is on <paramref name="baseUrl"/>'s origin; null otherwise (or when it is not a URL).</summary>
    private static string? OnOrigin(string? url, Uri baseUrl) =>
        Uri.TryCreate(url, UriKind.Absolute, out var parsed)
        && string.Equals(parsed.Scheme, baseUrl.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(parsed.IdnHost, baseUrl.IdnHost, StringComparison.OrdinalIgnoreCase)
        && parsed.Port == baseUrl.Port
            ? parsed.AbsoluteUri
            : null;

    // Status, result and cancel live under the app (owner/name), without the endpoint path: fal-ai/flux/requests/{id}.
    private static string Built(Uri baseUrl, string model, string requestId, string suffix)
    {
        var app = string.Join('/', model.Split('/').Take(2));
        return new Uri(baseUrl, $"{app}/requests/{Uri.EscapeDataString(requestId)}{suffix}").AbsoluteUri;
    }

    private TimeSpan Interval(QueueState state, int pollsMade)
    {
        var configured = settings.Get(Id);
        if (state.Webhook)
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

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){1,4}$")]
    private static partial Regex ModelPattern();

    private sealed record QueueInput(
        string Prompt, object ImageSize, int NumImages, long Seed, string OutputFormat, bool EnableSafetyChecker, string? SafetyTolerance);

    private sealed record CustomSize(int Width, int Height);

    private sealed record QueueAnswer(string? RequestId, string? Status, string? StatusUrl, string? ResponseUrl, string? CancelUrl);

    private sealed record QueueState(string StatusUrl, string ResponseUrl, string CancelUrl, int Count, bool Webhook);

    private sealed record StatusAnswer(string? Status, int? QueuePosition);

    private sealed record Output(List<OutputImage>? Images, List<bool?>? HasNsfwConcepts, long? Seed);

    private sealed record OutputImage(string? Url, int? Width, int? Height, string? ContentType);
}

internal static class FalHttp
{
    /// <summary>Sets <c>Authorization: Key {credential}</c>, fal's scheme.</summary>
    public static HttpRequestMessage WithKey(this HttpRequestMessage request, string credential)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Key", credential);
        return request;
    }
}
