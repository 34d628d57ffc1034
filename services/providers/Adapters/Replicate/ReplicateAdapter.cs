using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Replicate;

/// <summary>
/// Replicate's predictions API for the official FLUX models: <c>POST models/{owner}/{name}/predictions</c> with
/// <c>Prefer: wait=N</c> (the prediction usually finishes within the request and comes back complete), else
/// <c>GET predictions/{id}</c> until <c>succeeded | failed | canceled | aborted</c>, and <c>POST predictions/{id}/cancel</c>.
/// Webhooks are signed the Standard Webhooks way (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>).
/// Sources: https://replicate.com/docs/reference/http, https://replicate.com/docs/topics/webhooks/verify-webhook.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>FLUX.1 [schnell] and [dev] take the orchestrator's <c>aspect_ratio</c>; <c>megapixels</c> ("1" or "0.25") follows
/// from the size the orchestrator chose (a quarter-megapixel preset halves both sides), <c>num_outputs</c> 1-4 in one prediction.</item>
/// <item>FLUX 1.1 [pro] makes one image per prediction at any size 256-1440 in multiples of 32 (<c>aspect_ratio: custom</c>):
/// a job for n images is n predictions, with seeds seed, seed+1, … so they differ. The first prediction's id names the task;
/// the poll state lists them all.</item>
/// <item>A webhook is only asked for when the attempt runs on the worker's own key: Replicate signs with the secret of the
/// account that made the prediction, which for a caller's own key is not one this worker can check. Webhooked tasks are
/// still polled, every <c>Options:WebhookPollInterval</c> (30 s), in case a webhook is lost.</item>
/// <item>Replicate bills these models per output image and its safety checker drops flagged images silently: fewer images
/// than asked are delivered with a warning and charged for what was made.</item>
/// </list>
/// </remarks>
public sealed partial class ReplicateAdapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings, TimeProvider time)
    : IWebhookImageProviderAdapter
{
    public const string Id = "replicate";
    public const string Name = "Replicate";
    public const string FluxSchnell = "black-forest-labs/flux-schnell";
    public const string FluxDev = "black-forest-labs/flux-dev";
    public const string Flux11Pro = "black-forest-labs/flux-1.1-pro";
    public const string DefaultModel = FluxSchnell;

    public const string PreferWaitOption = "PreferWait";
    public const string PollIntervalOption = "PollInterval";
    public const string MaxPollIntervalOption = "MaxPollInterval";
    public const string WebhookPollIntervalOption = "WebhookPollInterval";
    public const string WebhookSecretOption = "WebhookSecret";
    public const string WebhookToleranceOption = "WebhookTolerance";
    public const string SafetyToleranceOption = "SafetyTolerance";

    /// <summary>The longest <c>Prefer: wait</c> Replicate honours, and the default.</summary>
    public const int MaxPreferWaitSeconds = 60;

    /// <summary>Polls made at the short interval before backing off to the long one.</summary>
    public const int FastPolls = 5;

    public static readonly Uri DefaultBaseUrl = new("https://api.replicate.com/v1/");
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultMaxPollInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultWebhookPollInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultWebhookTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The aspect ratios of FLUX.1 on Replicate and their one-megapixel sizes (cog-flux's table).</summary>
    public static readonly FrozenDictionary<string, (int Width, int Height)> FluxAspectRatios = new Dictionary<string, (int, int)>
    {
        ["1:1"] = (1024, 1024), ["16:9"] = (1344, 768), ["21:9"] = (1536, 640), ["3:2"] = (1216, 832), ["2:3"] = (832, 1216),
        ["4:5"] = (896, 1088), ["5:4"] = (1088, 896), ["3:4"] = (896, 1152), ["4:3"] = (1152, 896), ["9:16"] = (768, 1344), ["9:21"] = (640, 1536),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // Models that make one image per prediction and take a custom size.
    private static readonly FrozenSet<string> SingleImageModels = new[] { Flux11Pro }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web);

    private readonly ReplicateWebhookKeys _webhookKeys = new(http, settings, time);

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"{Name} FLUX text-to-image through ImageGen takes no input image.");
        }

        var model = ModelOf(request.Model);
        var configured = settings.Get(Id);
        var webhook = request.WebhookUrl is { } url && IsWorkersOwnKey(key, configured) ? url : null;
        var count = Math.Clamp(request.Count, 1, 4);
        var inputs = SingleImageModels.Contains(model)
            ? Enumerable.Range(0, count).Select(i => SingleImageInput(request, i, configured)).ToList()
            : [BatchInput(request, count)];

        var predictions = await CreateAllAsync(model, inputs, key, webhook, PreferWait(configured), cancellationToken);
        if (predictions.All(p => IsFinal(p.Status)))
        {
            return await CollectAsync(predictions, model, count, request.EstimatedCostUsd, cancellationToken) switch
            {
                ProviderPollResult.Done done => ProviderSubmission.Completed(done.Result),
                ProviderPollResult.Failure failure => throw failure.Error,
                _ => throw new InvalidOperationException("A finished prediction cannot still be running."),
            };
        }

        var state = new PollState([.. predictions.Select(p => p.Id!)], count, webhook is not null);
        return ProviderSubmission.Pending(state.Ids[0], Interval(0, state.Webhook), JsonSerializer.Serialize(state, StateJson));
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        var key = poll.RequireCredential();
        var state = StateOf(poll);
        var predictions = await Task.WhenAll(state.Ids.Select(id => GetAsync(id, key, cancellationToken)));
        if (Array.FindIndex(predictions, p => p is null) is var lost and >= 0)
        {
            // Predictions are kept for an hour (API ones longer): this one expired or never existed; another attempt may do.
            return ProviderPollResult.Failed(ProviderException.ProviderUnavailable($"{Name} no longer knows the prediction {state.Ids[lost]} (it expired or never existed)."));
        }

        if (predictions.Any(p => !IsFinal(p!.Status)))
        {
            return ProviderPollResult.Pending(Interval(poll.PollCount + 1, state.Webhook));
        }

        var model = string.IsNullOrWhiteSpace(poll.Model) ? DefaultModel : poll.Model;
        return await CollectAsync([.. predictions.Select(p => p!)], model, state.Requested, poll.EstimatedCostUsd, cancellationToken);
    }

    /// <summary>Asks Replicate to stop every prediction of the task; the first refusal is thrown after all were asked.</summary>
    public async Task CancelAsync(ProviderPoll task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var key = task.RequireCredential();
        ProviderException? refused = null;
        foreach (var id in StateOf(task).Ids)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, $"predictions/{Uri.EscapeDataString(id)}/cancel").WithBearer(key);
            using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                refused ??= await ReadFailureAsync(response, key, model: null, cancellationToken);
            }
        }

        if (refused is not null)
        {
            throw refused;
        }
    }

    /// <summary>Submits and polls in one call, holding the caller until the predictions end; the worker uses the schedule instead.</summary>
    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        this.SubmitAndPollAsync(request, time, cancellationToken);

    /// <summary>
    /// Checks a webhook as Replicate documents: HMAC-SHA256 with the signing secret over <c>{webhook-id}.{webhook-timestamp}.{body}</c>,
    /// any of the space-separated <c>v1,&lt;base64&gt;</c> signatures may match, and the timestamp must be within
    /// <c>Options:WebhookTolerance</c> (5 minutes) of its arrival. The body is the prediction; only its id and status are read.
    /// </summary>
    public async Task<ProviderWebhookNotification> ReadWebhookAsync(ProviderWebhookRequest webhook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        var messageId = webhook.Header("webhook-id");
        var timestamp = webhook.Header("webhook-timestamp");
        var signatureHeader = webhook.Header("webhook-signature");
        if (string.IsNullOrWhiteSpace(messageId) || string.IsNullOrWhiteSpace(timestamp) || string.IsNullOrWhiteSpace(signatureHeader))
        {
            throw new WebhookRejectedException("The webhook-id, webhook-timestamp and webhook-signature headers are required.");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new WebhookRejectedException("The webhook-timestamp header is not a Unix time in seconds.");
        }

        var tolerance = settings.Get(Id).IntervalOption(Id, WebhookToleranceOption) ?? DefaultWebhookTolerance;
        var sentAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((webhook.ReceivedAt - sentAt).Duration() > tolerance)
        {
            throw new WebhookRejectedException($"The webhook was signed at {sentAt:O}, more than {tolerance.TotalSeconds:0} s from its arrival; it is stale or replayed.");
        }

        var signatures = Signatures(signatureHeader);
        if (signatures.Count == 0)
        {
            throw new WebhookRejectedException("The webhook-signature header holds no v1 signature.");
        }

        var signed = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var (keys, fromReplicate) = await _webhookKeys.GetAsync(refresh: false, cancellationToken);
        if (!Matches(keys, signed, webhook.Body.Span, signatures))
        {
            // A secret fetched from Replicate may have been rotated since.
            var refreshed = fromReplicate ? (await _webhookKeys.GetAsync(refresh: true, cancellationToken)).Keys : [];
            if (!Matches(refreshed, signed, webhook.Body.Span, signatures))
            {
                throw new WebhookRejectedException("The webhook's signature does not match its body with Replicate's signing secret.");
            }
        }

        try
        {
            using var document = JsonDocument.Parse(webhook.Body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "id") is not { } predictionId)
            {
                throw new WebhookRejectedException("The webhook body is not a prediction with an id.");
            }

            return new ProviderWebhookNotification(predictionId, IsFinal(Text(root, "status")));
        }
        catch (JsonException)
        {
            throw new WebhookRejectedException("The webhook body is not JSON.");
        }
    }

    private async Task<List<Prediction>> CreateAllAsync(
        string model, IReadOnlyList<Dictionary<string, object?>> inputs, string key, Uri? webhook, int preferWait, CancellationToken cancellationToken)
    {
        var creations = inputs.Select(input => CreateAsync(model, input, key, webhook, preferWait, cancellationToken)).ToArray();
        try
        {
            return [.. await Task.WhenAll(creations)];
        }
        catch (Exception) when (creations.Length > 1 && !cancellationToken.IsCancellationRequested)
        {
            // The others are left to finish rather than aborted: an aborted request may still have made a (billed)
            // prediction whose id would then be unknown. Those made are canceled instead, best effort.
            foreach (var made in creations.Where(c => c.IsCompletedSuccessfully && !IsFinal(c.Result.Status)))
            {
                try
                {
                    using var message = new HttpRequestMessage(HttpMethod.Post, $"predictions/{Uri.EscapeDataString(made.Result.Id!)}/cancel").WithBearer(key);
                    using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
                }
                catch (ProviderException)
                {
                    // Best effort: it ends on its own and is paid for either way.
                }
            }

            ExceptionDispatchInfo.Throw(creations.First(c => c.IsFaulted).Exception!.InnerException!);
            throw;
        }
    }

    private async Task<Prediction> CreateAsync(
        string model, Dictionary<string, object?> input, string key, Uri? webhook, int preferWait, CancellationToken cancellationToken)
    {
        var slash = model.IndexOf('/');
        var path = $"models/{Uri.EscapeDataString(model[..slash])}/{Uri.EscapeDataString(model[(slash + 1)..])}/predictions";
        var body = new CreateBody(input, webhook, webhook is null ? null : ["completed"]);
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, path, body).WithBearer(key);
        if (preferWait > 0)
        {
            message.Headers.TryAddWithoutValidation("Prefer", string.Create(CultureInfo.InvariantCulture, $"wait={preferWait}"));
        }

        using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadFailureAsync(response, key, model, cancellationToken);
        }

        var prediction = await response.ReadJsonAsync<Prediction>(Name, cancellationToken);
        return prediction.Id is { Length: > 0 }
            ? prediction
            : throw ProviderException.ProviderUnavailable($"{Name} accepted the prediction without giving its id.");
    }

    /// <summary>The prediction, or null when Replicate no longer knows it (404).</summary>
    private async Task<Prediction?> GetAsync(string id, string key, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"predictions/{Uri.EscapeDataString(id)}").WithBearer(key);
        using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await ReadFailureAsync(response, key, model: null, cancellationToken);
        }

        return await response.ReadJsonAsync<Prediction>(Name, cancellationToken);
    }

    private async Task<ProviderPollResult> CollectAsync(
        IReadOnlyList<Prediction> predictions, string model, int requested, decimal? estimatedCostUsd, CancellationToken cancellationToken)
    {
        var images = new List<ProviderImage>();
        var failures = new List<ProviderException>();
        int? billed = null;
        foreach (var prediction in predictions)
        {
            switch (prediction.Status)
            {
                case "succeeded":
                    var made = 0;
                    foreach (var output in Outputs(prediction.Output))
                    {
                        images.Add(output.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                            ? ImageInspector.FromBase64(output)
                            : Uri.TryCreate(output, UriKind.Absolute, out var url)
                                ? await fetcher.FetchAsync(url, Name, cancellationToken)
                                : throw ProviderException.ProviderUnavailable($"{Name} returned an output that is not a URL."));
                        made++;
                    }

                    if (made == 0)
                    {
                        failures.Add(ProviderException.ProviderUnavailable($"{Name} reported the prediction {prediction.Id} succeeded without any image."));
                    }

                    if (ImageCount(prediction.Metrics) is { } count)
                    {
                        billed = (billed ?? 0) + count;
                    }

                    break;
                case "failed":
                    failures.Add(MapPredictionError(prediction));
                    break;
                case "canceled":
                    failures.Add(ProviderException.Internal($"{Name} reports that the prediction {prediction.Id} was canceled."));
                    break;
                default:
                    // "aborted": stopped by Replicate (a deadline, a dead worker) before it ran; another attempt may do.
                    failures.Add(ProviderException.ProviderUnavailable($"{Name} aborted the prediction {prediction.Id} before it ran."));
                    break;
            }
        }

        if (images.Count == 0)
        {
            return ProviderPollResult.Failed(failures.FirstOrDefault(f => f.Code == ImageGen.Contracts.ErrorCodes.ContentPolicy) ?? failures[0]);
        }

        var resultModel = predictions[0].Model is { Length: > 0 } reported ? reported : model;
        var warnings = new List<string>();
        decimal? cost = null;
        if (images.Count < requested)
        {
            warnings.Add(failures.Count > 0
                ? $"{Name} delivered {images.Count} of the {requested} images asked for; the others failed: {failures[0].Message}"
                : $"{Name} delivered {images.Count} of the {requested} images asked for; its safety checker withholds images it flags.");
        }

        // Billed per output image: what was made, as Replicate counts it when it says.
        if (estimatedCostUsd is { } estimate && requested > 0 && (billed ?? images.Count) != requested)
        {
            cost = Math.Round(estimate * (billed ?? images.Count) / requested, 6);
        }

        return ProviderPollResult.Completed(new ProviderResult(resultModel, images, cost) { Warnings = warnings });
    }

    /// <summary>The error text of a failed prediction in the unified vocabulary; Replicate says "NSFW" or "flagged as sensitive (E005)" for refusals.</summary>
    private static ProviderException MapPredictionError(Prediction prediction)
    {
        var said = ProviderMessage.Clean(prediction.Error.ValueKind == JsonValueKind.String ? prediction.Error.GetString() : null);
        var text = said.Length == 0 ? $"{Name} failed the prediction {prediction.Id}." : $"{Name} failed the prediction {prediction.Id}: {said}";
        return RefusalPattern().IsMatch(said)
            ? ProviderException.ContentPolicy(text)
            // A failure this adapter does not know: the model crashed or ran out of memory; another attempt may fare better.
            : ProviderException.ProviderUnavailable(text);
    }

    private static async Task<ProviderException> ReadFailureAsync(HttpResponseMessage response, string key, string? model, CancellationToken cancellationToken)
    {
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var (title, retryAfter) = ProblemDetails(error.Body);
        var said = ProviderMessage.Redact(error.Message, key);
        // Replicate's problem details: the title names the class ("Input validation failed"), the detail says what to fix.
        var message = title is not null && !said.StartsWith(title.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
            ? $"{ProviderMessage.Redact(title, key).TrimEnd('.')}: {said}"
            : said;
        if (error.StatusCode == HttpStatusCode.NotFound && model is not null)
        {
            return ProviderException.InvalidRequest(ProviderMessage.Clean(
                $"{Name} has no model '{model}' this key can run (HTTP 404){(said.Length == 0 ? "." : $": {said}")}"));
        }

        return ProviderErrorMapper.Map(Name, error.StatusCode, message, error.RetryAfter ?? retryAfter);
    }

    private static (string? Title, TimeSpan? RetryAfter) ProblemDetails(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            var title = Text(root, "title");
            TimeSpan? retryAfter = root.TryGetProperty("retry_after", out var wait) && wait.ValueKind == JsonValueKind.Number
                                   && wait.TryGetDouble(out var seconds) && seconds > 0 && seconds < TimeSpan.FromDays(1).TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : null;
            return (title, retryAfter);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static Dictionary<string, object?> BatchInput(ProviderRequest request, int count)
    {
        var ratio = request.Parameter("aspect_ratio") ?? NearestAspectRatio(request.Width, request.Height);
        var input = new Dictionary<string, object?>
        {
            ["prompt"] = request.Prompt,
            ["aspect_ratio"] = ratio,
            // The orchestrator picked a one- or quarter-megapixel preset; its pixel count says which.
            ["megapixels"] = request.Parameter("megapixels") ?? ((long)request.Width * request.Height <= 512 * 1024 ? "0.25" : "1"),
            ["num_outputs"] = count,
            ["seed"] = request.Seed,
            ["output_format"] = Format(request.OutputFormat),
        };
        return input;
    }

    private static Dictionary<string, object?> SingleImageInput(ProviderRequest request, int index, ProviderSettings configured)
    {
        var input = new Dictionary<string, object?>
        {
            ["prompt"] = request.Prompt,
            ["seed"] = (request.Seed + index) % ((long)uint.MaxValue + 1),
            ["output_format"] = Format(request.OutputFormat),
        };
        if (request.Parameter("aspect_ratio") is { } ratio)
        {
            input["aspect_ratio"] = ratio;
        }
        else
        {
            input["aspect_ratio"] = "custom";
            input["width"] = Math.Clamp((int)Math.Round(request.Width / 32.0) * 32, 256, 1440);
            input["height"] = Math.Clamp((int)Math.Round(request.Height / 32.0) * 32, 256, 1440);
        }

        if (configured.Option(SafetyToleranceOption) is { } tolerance)
        {
            input["safety_tolerance"] = int.TryParse(tolerance, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level is >= 1 and <= 6
                ? level
                : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{SafetyToleranceOption} is '{tolerance}'; set 1 (strictest) to 6.");
        }

        return input;
    }

    private static string NearestAspectRatio(int width, int height)
    {
        var asked = Math.Log((double)width / height);
        return FluxAspectRatios.MinBy(r => Math.Abs(Math.Log((double)r.Value.Width / r.Value.Height) - asked)).Key;
    }

    private static string Format(ImageOutputFormat format) => format switch
    {
        ImageOutputFormat.Jpeg => "jpg",
        ImageOutputFormat.Webp => "webp",
        _ => "png",
    };

    private static string ModelOf(string requested)
    {
        var model = string.IsNullOrWhiteSpace(requested) ? DefaultModel : requested.Trim();
        return ModelName().IsMatch(model)
            ? model
            : throw ProviderException.InvalidRequest($"'{ProviderMessage.Clean(model)}' is not a Replicate model name; use owner/name, e.g. {DefaultModel}.");
    }

    private static bool IsFinal(string? status) => status is "succeeded" or "failed" or "canceled" or "aborted";

    private static bool IsWorkersOwnKey(string key, ProviderSettings configured) =>
        configured.ApiKey is { Length: > 0 } own
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(own));

    private int PreferWait(ProviderSettings configured)
    {
        var wait = MaxPreferWaitSeconds;
        if (configured.Option(PreferWaitOption) is { } value)
        {
            wait = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= MaxPreferWaitSeconds
                ? seconds
                : throw ProviderException.Internal(
                    $"{ProviderSettings.SectionFor(Id)}:Options:{PreferWaitOption} is '{value}'; set 1 to {MaxPreferWaitSeconds} seconds, or 0 not to wait.");
        }

        // The held request must end before the HTTP client gives up on it.
        return Math.Min(wait, Math.Max(0, (int)configured.Timeout.TotalSeconds - 5));
    }

    private TimeSpan Interval(int pollsMade, bool webhook)
    {
        var configured = settings.Get(Id);
        if (webhook)
        {
            return configured.IntervalOption(Id, WebhookPollIntervalOption) ?? DefaultWebhookPollInterval;
        }

        var fast = configured.IntervalOption(Id, PollIntervalOption) ?? DefaultPollInterval;
        var slow = configured.IntervalOption(Id, MaxPollIntervalOption) ?? DefaultMaxPollInterval;
        return pollsMade < FastPolls ? fast : (slow < fast ? fast : slow);
    }


    private static PollState StateOf(ProviderPoll poll)
    {
        PollState? state = null;
        if (poll.State is { Length: > 0 } json)
        {
            try
            {
                state = JsonSerializer.Deserialize<PollState>(json, StateJson);
            }
            catch (JsonException)
            {
                // A state this version did not write: the task id alone still names a prediction.
            }
        }

        return state is { Ids.Length: > 0 } && state.Ids.Contains(poll.TaskId, StringComparer.Ordinal)
            ? state
            : new PollState([poll.TaskId], state?.Requested ?? 0, state?.Webhook ?? false);
    }

    private static IEnumerable<string> Outputs(JsonElement output) => output.ValueKind switch
    {
        JsonValueKind.String when output.GetString() is { Length: > 0 } one => [one],
        JsonValueKind.Array => output.EnumerateArray().Where(o => o.ValueKind == JsonValueKind.String).Select(o => o.GetString()!).Where(o => o.Length > 0).ToList(),
        _ => [],
    };

    private static int? ImageCount(JsonElement metrics) =>
        metrics.ValueKind == JsonValueKind.Object && metrics.TryGetProperty("image_count", out var count) && count.TryGetInt32(out var n) && n >= 0 ? n : null;

    private static List<byte[]> Signatures(string header)
    {
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = part.IndexOf(',');
            if (comma <= 0 || part[..comma] != "v1")
            {
                continue;
            }

            var encoded = part[(comma + 1)..];
            var buffer = new byte[encoded.Length];
            if (Convert.TryFromBase64String(encoded, buffer, out var written))
            {
                signatures.Add(buffer[..written]);
            }
        }

        return signatures;
    }

    private static bool Matches(IReadOnlyList<byte[]> keys, byte[] signedPrefix, ReadOnlySpan<byte> body, List<byte[]> signatures)
    {
        var matched = false;
        foreach (var key in keys)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hmac.AppendData(signedPrefix);
            hmac.AppendData(body);
            var expected = hmac.GetHashAndReset();
            foreach (var signature in signatures)
            {
                // No early exit, so the time taken says nothing about which comparison matched.
                matched |= CryptographicOperations.FixedTimeEquals(expected, signature);
            }
        }

        return matched;
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex ModelName();

    [GeneratedRegex(@"nsfw|flagged as sensitive|\(E005\)|content moderat", RegexOptions.IgnoreCase)]
    private static partial Regex RefusalPattern();

    private sealed record CreateBody(Dictionary<string, object?> Input, Uri? Webhook, string[]? WebhookEventsFilter);

    private sealed record Prediction(string? Id, string? Model, string? Status, JsonElement Output, JsonElement Error, JsonElement Metrics);

    /// <summary>What a poll needs besides the task id: every prediction of the task, how many images were asked for, whether a webhook was asked for.</summary>
    private sealed record PollState(string[] Ids, int Requested, bool Webhook);
}
