using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Leonardo;

/// <summary>
/// Leonardo.Ai's production API: <c>POST generations</c> answers <c>{sdGenerationJob:{generationId, apiCreditCost}}</c>,
/// <c>GET generations/{id}</c> reports <c>{generations_by_pk:{status: PENDING | COMPLETE | FAILED, generated_images:[{url, nsfw}]}}</c>.
/// Errors come in Hasura's shape, <c>{"error": "…", "path": "$", "code": "…"}</c>; a prompt the moderation refuses is a 400
/// whose error starts "content moderation filter". Sources: https://docs.leonardo.ai/reference/creategeneration,
/// https://docs.leonardo.ai/docs/guide-to-the-webhook-callback-feature, https://docs.leonardo.ai/docs/guide-to-handling-not-safe-for-work-image-generation-nsfw.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Models are named here (<c>phoenix-1.0</c>, …) and sent as Leonardo's model UUIDs; a UUID is passed as it is
/// (a fine-tuned model). Phoenix needs <c>contrast</c> (3, 3.5 or 4): the job's <c>contrast</c> parameter, else
/// <c>Options:Contrast</c>, else 3.5. Generations are always private (<c>public: false</c>).</item>
/// <item>Leonardo flags rather than withholds NSFW images; flagged ones are dropped (with a warning) unless
/// <c>Options:AllowNsfw</c> is true, and a generation whose every image is flagged is a <c>content_policy</c> failure.</item>
/// <item>The webhook URL and its bearer key are set on the API key in Leonardo's dashboard, not per generation, so
/// nothing is sent with the submission; webhooks are checked against <c>Options:WebhookSecret</c>. Attempts on the worker's
/// own key are then polled only every <c>Options:WebhookPollInterval</c> (30 s), as a safety net.</item>
/// <item>The cost is reported when Leonardo gives it in dollars (<c>apiDollarCost</c>) or, from <c>apiCreditCost</c>,
/// when <c>Options:UsdPerCredit</c> says what a credit costs; otherwise the catalog's estimate stands.</item>
/// </list>
/// </remarks>
public sealed class LeonardoAdapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings, TimeProvider time)
    : IWebhookImageProviderAdapter
{
    public const string Id = "leonardo";
    public const string Name = "Leonardo";
    public const string Phoenix10 = "phoenix-1.0";
    public const string Phoenix09 = "phoenix-0.9";
    public const string LightningXl = "lightning-xl";
    public const string KinoXl = "kino-xl";
    public const string DefaultModel = Phoenix10;

    public const string PollIntervalOption = "PollInterval";
    public const string WebhookPollIntervalOption = "WebhookPollInterval";
    public const string WebhookSecretOption = "WebhookSecret";
    public const string ContrastOption = "Contrast";
    public const string AllowNsfwOption = "AllowNsfw";
    public const string UsdPerCreditOption = "UsdPerCredit";

    public const int MinSide = 32;
    public const int MaxSide = 1536;

    public static readonly Uri DefaultBaseUrl = new("https://cloud.leonardo.ai/api/rest/v1/");
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultWebhookPollInterval = TimeSpan.FromSeconds(30);

    /// <summary>Leonardo's platform model UUIDs (List Platform Models, https://docs.leonardo.ai/reference/listplatformmodels).</summary>
    public static readonly FrozenDictionary<string, Guid> ModelIds = new Dictionary<string, Guid>
    {
        [Phoenix10] = Guid.Parse("de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3"),
        [Phoenix09] = Guid.Parse("6b645e3a-d64f-4341-a6d8-7a3690fbf042"),
        [LightningXl] = Guid.Parse("b24e16ff-06e3-43eb-8d33-4416c2d75876"),
        [KinoXl] = Guid.Parse("aa77f04e-3eec-4034-9c07-d0f619684628"),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<Guid> PhoenixModels = new[] { ModelIds[Phoenix10], ModelIds[Phoenix09] }.ToFrozenSet();
    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web);

    // Leonardo writes some amounts as strings ("apiDollarCost": "9").
    private static readonly JsonSerializerOptions CreateJson = new(ProviderHttp.CamelCaseJson)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"{Name} text-to-image through ImageGen takes no input image.");
        }

        var modelId = ModelIdOf(request.Model);
        var phoenix = PhoenixModels.Contains(modelId);
        var configured = settings.Get(Id);
        var count = Math.Clamp(request.Count, 1, 4);
        var body = new Dictionary<string, object?>
        {
            ["prompt"] = request.Prompt,
            ["modelId"] = modelId.ToString(),
            ["width"] = request.Width,
            ["height"] = request.Height,
            ["num_images"] = count,
            ["seed"] = request.Seed,
            // Leonardo's community feed must never show a customer's images.
            ["public"] = false,
        };
        if (!phoenix && !string.IsNullOrWhiteSpace(request.NegativePrompt))
        {
            body["negative_prompt"] = request.NegativePrompt;
        }

        if (phoenix)
        {
            body["contrast"] = Contrast(request.Parameter("contrast") ?? configured.Option(ContrastOption));
        }

        if (request.Parameter("alchemy") is { } alchemy)
        {
            body["alchemy"] = bool.TryParse(alchemy, out var on) ? on : throw ProviderException.InvalidRequest($"The parameter alchemy is '{alchemy}'; use true or false.");
        }

        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, "generations", body).WithBearer(key);
        using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadFailureAsync(response, key, cancellationToken);
        }

        var answer = await response.ReadJsonAsync<CreateAnswer>(Name, cancellationToken, CreateJson);
        if (answer.SdGenerationJob?.GenerationId is not { Length: > 0 } generationId)
        {
            // Hasura can answer an action's failure with 200 and the error in the body.
            throw answer.Error is { Length: > 0 } error
                ? MapError(HttpStatusCode.BadRequest, ProviderMessage.Redact(error, key), retryAfter: null)
                : ProviderException.ProviderUnavailable($"{Name} accepted the generation without giving its id.");
        }

        var webhook = request.WebhookUrl is not null && configured.Option(WebhookSecretOption) is not null && IsWorkersOwnKey(key, configured);
        var state = new PollState(count, CostUsd(answer.SdGenerationJob, configured), webhook);
        return ProviderSubmission.Pending(generationId, Interval(webhook), JsonSerializer.Serialize(state, StateJson));
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        var key = poll.RequireCredential();
        var state = StateOf(poll.State);
        using var message = new HttpRequestMessage(HttpMethod.Get, $"generations/{Uri.EscapeDataString(poll.TaskId)}").WithBearer(key);
        using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ReadFailureAsync(response, key, cancellationToken);
        }

        var answer = await response.ReadJsonAsync<PollAnswer>(Name, cancellationToken);
        if (answer.GenerationsByPk is not { } generation)
        {
            // Hasura answers null for a primary key it does not have: deleted, expired or never made.
            return ProviderPollResult.Failed(ProviderException.ProviderUnavailable($"{Name} no longer knows the generation {poll.TaskId}."));
        }

        switch (generation.Status)
        {
            case "PENDING":
                return ProviderPollResult.Pending(Interval(state.Webhook));
            case "FAILED":
                // Leonardo gives no reason for a failed generation; another attempt may fare better.
                return ProviderPollResult.Failed(ProviderException.ProviderUnavailable($"{Name} reports that the generation {poll.TaskId} failed."));
            case "COMPLETE":
                return await CollectAsync(generation, poll, state, cancellationToken);
            default:
                throw ProviderException.ProviderUnavailable($"{Name} reported the generation in a status this worker does not know: '{ProviderMessage.Clean(generation.Status)}'.");
        }
    }

    /// <summary>Submits and polls in one call, holding the caller until the generation ends; the worker uses the schedule instead.</summary>
    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        this.SubmitAndPollAsync(request, time, cancellationToken);

    /// <summary>
    /// Checks a webhook as Leonardo documents it: the only proof is <c>Authorization: Bearer {webhook callback API key}</c>, compared in
    /// constant time with <c>Options:WebhookSecret</c> (several keys may be listed, separated by spaces or commas, while one is replaced).
    /// The body is <c>{type: "image_generation.complete", data: {object: {id, status, …}}}</c>; only the id and status are read.
    /// </summary>
    public Task<ProviderWebhookNotification> ReadWebhookAsync(ProviderWebhookRequest webhook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        var secrets = settings.Get(Id).Option(WebhookSecretOption)?.Split([' ', ',', ';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (secrets is not { Length: > 0 })
        {
            throw new WebhookRejectedException(
                $"No webhook key to check Leonardo's webhook against: set {ProviderSettings.SectionFor(Id)}:Options:{WebhookSecretOption} to the webhook callback API key of the Leonardo API key.");
        }

        var authorization = webhook.Header("Authorization");
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new WebhookRejectedException("The webhook carries no bearer key in its Authorization header.");
        }

        var given = Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim());
        var matched = false;
        foreach (var secret in secrets)
        {
            // No early exit, so the time taken says nothing about which key matched.
            matched |= CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(secret));
        }

        if (!matched)
        {
            throw new WebhookRejectedException("The webhook's bearer key is not Leonardo's webhook callback key.");
        }

        try
        {
            using var document = JsonDocument.Parse(webhook.Body);
            var root = document.RootElement;
            var generation = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                             && data.TryGetProperty("object", out var item) && item.ValueKind == JsonValueKind.Object
                ? item
                : throw new WebhookRejectedException("The webhook body has no data.object generation.");
            var id = Text(generation, "id") ?? throw new WebhookRejectedException("The webhook's generation has no id.");
            var finished = Text(root, "type") == "image_generation.complete" || Text(generation, "status") is "COMPLETE" or "FAILED";
            return Task.FromResult(new ProviderWebhookNotification(id, finished));
        }
        catch (JsonException)
        {
            throw new WebhookRejectedException("The webhook body is not JSON.");
        }
    }

    private async Task<ProviderPollResult> CollectAsync(Generation generation, ProviderPoll poll, PollState state, CancellationToken cancellationToken)
    {
        var allowNsfw = OptionBool(AllowNsfwOption) ?? false;
        var listed = generation.GeneratedImages ?? [];
        var flagged = listed.Count(i => i.Nsfw == true);
        var images = new List<ProviderImage>(listed.Length);
        foreach (var item in listed)
        {
            if (item.Nsfw == true && !allowNsfw)
            {
                continue;
            }

            images.Add(Uri.TryCreate(item.Url, UriKind.Absolute, out var url)
                ? await fetcher.FetchAsync(url, Name, cancellationToken)
                : throw ProviderException.ProviderUnavailable($"{Name} listed a generated image without a URL."));
        }

        if (images.Count == 0)
        {
            return ProviderPollResult.Failed(flagged > 0
                ? ProviderException.ContentPolicy($"{Name} flagged every image of the generation {poll.TaskId} as not safe for work; none was delivered.", state.CostUsd)
                : ProviderException.ProviderUnavailable($"{Name} completed the generation {poll.TaskId} without any image."));
        }

        var warnings = new List<string>();
        if (flagged > 0 && !allowNsfw)
        {
            warnings.Add($"{Name} flagged {flagged} of the {listed.Length} images as not safe for work; they were dropped.");
        }
        else if (state.Requested > 0 && images.Count < state.Requested)
        {
            warnings.Add($"{Name} delivered {images.Count} of the {state.Requested} images asked for.");
        }

        var model = string.IsNullOrWhiteSpace(poll.Model) ? DefaultModel : poll.Model;
        return ProviderPollResult.Completed(new ProviderResult(model, images, state.CostUsd) { Warnings = warnings });
    }

    private static async Task<ProviderException> ReadFailureAsync(HttpResponseMessage response, string key, CancellationToken cancellationToken)
    {
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        return MapError(error.StatusCode, ProviderMessage.Redact(error.Message, key), error.RetryAfter);
    }

    /// <summary>The error text says more than the status: moderation and credit refusals arrive as plain 400s.</summary>
    private static ProviderException MapError(HttpStatusCode status, string said, TimeSpan? retryAfter)
    {
        var text = ProviderMessage.Clean(said);
        string Text(string what) => text.Length == 0 ? $"{Name} {what} (HTTP {(int)status})." : $"{Name} {what} (HTTP {(int)status}): {text}";
        if (text.Contains("content moderation", StringComparison.OrdinalIgnoreCase) || text.Contains("nsfw", StringComparison.OrdinalIgnoreCase))
        {
            return ProviderException.ContentPolicy(Text("refused the prompt"));
        }

        if (text.Contains("not enough api tokens", StringComparison.OrdinalIgnoreCase) || text.Contains("insufficient", StringComparison.OrdinalIgnoreCase))
        {
            return ProviderException.InsufficientCredit(Text("reports that the account has run out of API credit"));
        }

        return ProviderErrorMapper.Map(Name, status, text, retryAfter);
    }

    private static Guid ModelIdOf(string requested)
    {
        var model = string.IsNullOrWhiteSpace(requested) ? DefaultModel : requested.Trim();
        return ModelIds.TryGetValue(model, out var id) || Guid.TryParse(model, out id)
            ? id
            : throw ProviderException.InvalidRequest(
                $"'{ProviderMessage.Clean(model)}' is not a Leonardo model this worker knows ({string.Join(", ", ModelIds.Keys.Order(StringComparer.Ordinal))}) nor a model UUID.");
    }

    private static double Contrast(string? value)
    {
        if (value is null)
        {
            return 3.5;
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var contrast) && contrast is 3 or 3.5 or 4
            ? contrast
            : throw ProviderException.InvalidRequest($"The contrast for Phoenix is '{value}'; use 3 (low), 3.5 (medium) or 4 (high).");
    }

    private static decimal? CostUsd(GenerationJob job, ProviderSettings configured)
    {
        if (job.ApiDollarCost is { } dollars)
        {
            return dollars;
        }

        if (job.ApiCreditCost is not { } credits || configured.Option(UsdPerCreditOption) is not { } perCredit)
        {
            return null;
        }

        return decimal.TryParse(perCredit, NumberStyles.Number, CultureInfo.InvariantCulture, out var usd) && usd >= 0
            ? Math.Round(credits * usd, 6)
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{UsdPerCreditOption} is '{perCredit}'; set the dollars one API credit costs, e.g. 0.0015.");
    }

    private static bool IsWorkersOwnKey(string key, ProviderSettings configured) =>
        configured.ApiKey is { Length: > 0 } own
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(own));

    private TimeSpan Interval(bool webhook)
    {
        var configured = settings.Get(Id);
        return webhook
            ? configured.IntervalOption(Id, WebhookPollIntervalOption) ?? DefaultWebhookPollInterval
            : configured.IntervalOption(Id, PollIntervalOption) ?? DefaultPollInterval;
    }


    private bool? OptionBool(string name)
    {
        var value = settings.Get(Id).Option(name);
        return value is null ? null
            : bool.TryParse(value, out var flag) ? flag
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{name} is '{value}'; set it to true or false.");
    }

    private static PollState StateOf(string? json)
    {
        if (json is { Length: > 0 })
        {
            try
            {
                return JsonSerializer.Deserialize<PollState>(json, StateJson) ?? new PollState(0, null, false);
            }
            catch (JsonException)
            {
                // A state this version did not write: poll without it.
            }
        }

        return new PollState(0, null, false);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private sealed record CreateAnswer(GenerationJob? SdGenerationJob, string? Error);

    private sealed record GenerationJob(string? GenerationId, decimal? ApiCreditCost, decimal? ApiDollarCost);

    private sealed record PollAnswer(Generation? GenerationsByPk);

    private sealed record Generation(string? Id, string? Status, GeneratedImage[]? GeneratedImages);

    private sealed record GeneratedImage(string? Url, bool? Nsfw);

    /// <summary>What a poll needs besides the generation id: the count asked for, the cost Leonardo quoted, whether webhooks are expected.</summary>
    private sealed record PollState(int Requested, decimal? CostUsd, bool Webhook);
}
