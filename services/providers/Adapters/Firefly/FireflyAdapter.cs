using System.Globalization;
using System.Net;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Firefly;

/// <summary>
/// Adobe Firefly Services, image generation v3 (asynchronous): <c>POST v3/images/generate-async</c> answers 202
/// <c>{jobId, statusUrl, cancelUrl}</c>; <c>GET v3/status/{jobId}</c> reports <c>pending | running | succeeded | failed | canceled</c>
/// with <c>result.outputs[].image.url</c> (pre-signed, valid an hour); <c>PUT v3/cancel/{jobId}</c> stops it. Every call carries
/// <c>x-api-key: {client id}</c> and an IMS access token (<see cref="ImsTokenCache"/>). Sources: Firefly API reference and
/// OpenAPI file, https://developer.adobe.com/firefly-services/docs/firefly-api/guides/api/image_generation/V3_Async, and
/// https://developer.adobe.com/firefly-services/docs/firefly-api/guides/how-tos/using-async-apis.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The model is the <c>x-model-version</c> header (<c>image3</c>, <c>image4_standard</c>, <c>image4_ultra</c>); the size goes as
/// <c>size:{width,height}</c> (the catalog picks one Firefly allows); <c>n</c> images are <c>numVariations</c> with as many distinct
/// <c>seeds</c> (the job's seed, then seed+1, …); <c>contentClass</c> (photo | art) comes from the job's <c>content_class</c>
/// parameter or <c>Options:ContentClass</c>, <c>promptBiasingLocaleCode</c> from <c>Options:PromptBiasingLocaleCode</c>.</item>
/// <item>The key is <c>client_id:client_secret</c>, or the client secret alone with <c>Options:ClientId</c> (<see cref="FireflyCredential"/>).</item>
/// <item>A 401 means the token expired or was revoked early: the token is dropped, a new one fetched and the call made once more
/// (safe for the submission too, since Firefly did nothing with it).</item>
/// <item>Status and cancel are asked at the documented paths on the configured base URL rather than at the <c>statusUrl</c> and
/// <c>cancelUrl</c> of the answer: those name a per-cluster host, and the token must only go where the operator pointed the worker.</item>
/// <item>A result made from a prompt Firefly partly ignored (<c>promptHasDeniedWords</c>, <c>promptHasBlockedArtists</c>) is delivered
/// with a warning on the job.</item>
/// </list>
/// </remarks>
public sealed class FireflyAdapter(
    IHttpClientFactory http,
    ResultImageFetcher fetcher,
    IOptionsMonitor<ProviderSettings> settings,
    ImsTokenCache tokens,
    TimeProvider time) : IAsyncImageProviderAdapter
{
    public const string Id = "firefly";
    public const string Name = "Adobe Firefly";
    public const string DefaultModel = "image4_standard";
    public const string SubmitPath = "v3/images/generate-async";
    public const string ModelVersionHeader = "x-model-version";
    public const string ApiKeyHeader = "x-api-key";

    public const string ImsUrlOption = "ImsUrl";
    public const string ClientIdOption = "ClientId";
    public const string ScopesOption = "Scopes";
    public const string ContentClassOption = "ContentClass";
    public const string LocaleOption = "PromptBiasingLocaleCode";
    public const string PollIntervalOption = "PollInterval";
    public const string MaxPollIntervalOption = "MaxPollInterval";

    /// <summary>The scopes Adobe's getting-started guide asks for on a Firefly Services credential.</summary>
    public const string DefaultScopes = "openid,AdobeID,session,additional_info,read_organizations,firefly_api,ff_apis";

    /// <summary>Firefly's seeds are 32-bit (its own examples are up to 10 digits); larger job seeds are folded into that range.</summary>
    public const long MaxSeed = int.MaxValue;

    public const int MaxVariations = 4;

    /// <summary>Polls made at the short interval before backing off to the long one.</summary>
    public const int FastPolls = 10;

    public static readonly Uri DefaultBaseUrl = new("https://firefly-api.adobe.io/");
    public static readonly Uri DefaultImsUrl = new("https://ims-na1.adobelogin.com/ims/token/v3");

    /// <summary>Adobe suggests asking about once a second; a generation takes some 5-20 s.</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultMaxPollInterval = TimeSpan.FromSeconds(5);

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var credential = Credential(request.RequireCredential());
        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"{Name} text-to-image makes images from text only; this adapter sends it no input image.");
        }

        var options = settings.Get(Id);
        var count = Math.Clamp(request.Count, 1, MaxVariations);
        var body = new SubmitBody(
            request.Prompt,
            string.IsNullOrWhiteSpace(request.NegativePrompt) ? null : request.NegativePrompt,
            count,
            Enumerable.Range(0, count).Select(i => (request.Seed + i) % (MaxSeed + 1)).ToArray(),
            new ImageSize(request.Width, request.Height),
            ContentClass(request.Parameter("content_class"), options.Option(ContentClassOption)),
            options.Option(LocaleOption));
        var model = ModelOf(request.Model);

        using var response = await SendAuthorizedAsync(credential, () =>
        {
            var message = ProviderHttp.JsonRequest(HttpMethod.Post, SubmitPath, body, ProviderHttp.CamelCaseJson);
            message.Headers.Add(ModelVersionHeader, model);
            return message;
        }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await FireflyErrors.ReadAsync(response, cancellationToken);
        }

        var accepted = await response.ReadJsonAsync<AcceptAnswer>(Name, cancellationToken, ProviderHttp.CamelCaseJson);
        if (string.IsNullOrWhiteSpace(accepted.JobId))
        {
            throw ProviderException.ProviderUnavailable($"{Name} accepted the job without giving its id.");
        }

        return ProviderSubmission.Pending(accepted.JobId, Interval(0), count.ToString(CultureInfo.InvariantCulture));
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        var credential = Credential(poll.RequireCredential());
        using var response = await SendAuthorizedAsync(credential, () => new HttpRequestMessage(HttpMethod.Get, StatusPath(poll.TaskId)), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // unknown_job_id: the job expired or never existed; this one is lost, another attempt may do.
            return ProviderPollResult.Failed(ProviderException.ProviderUnavailable($"{Name} no longer knows the job {poll.TaskId} (HTTP 404, unknown_job_id)."));
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await FireflyErrors.ReadAsync(response, cancellationToken);
        }

        var job = await response.ReadJsonAsync<StatusAnswer>(Name, cancellationToken, ProviderHttp.CamelCaseJson);
        switch (job.Status?.ToLowerInvariant())
        {
            case "pending" or "waiting" or "running" or "cancel_pending":
                return ProviderPollResult.Pending(Interval(poll.PollCount + 1));
            case "succeeded":
                return await CollectAsync(job.Result, poll, cancellationToken);
            case "failed":
                return ProviderPollResult.Failed(FireflyErrors.FromFailedJob(job.ErrorCode, job.Message));
            case "canceled" or "cancelled":
                return ProviderPollResult.Failed(ProviderException.Internal($"{Name} reports that the job {poll.TaskId} was canceled."));
            case "timeout":
                return ProviderPollResult.Failed(ProviderException.Timeout($"{Name} gave up on the job {poll.TaskId}: it timed out on Adobe's side."));
            default:
                throw ProviderException.ProviderUnavailable($"{Name} reported the job in a status this worker does not know: '{ProviderMessage.Clean(job.Status)}'.");
        }
    }

    /// <summary>
    /// <c>PUT v3/cancel/{jobId}</c>. A job that already ended (404 unknown, 409 completed or already canceled, 410 timed out) needs
    /// nothing more; any other refusal is thrown mapped, for the worker to log.
    /// </summary>
    public async Task CancelAsync(ProviderPoll task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var credential = Credential(task.RequireCredential());
        using var response = await SendAuthorizedAsync(credential, () => new HttpRequestMessage(HttpMethod.Put, CancelPath(task.TaskId)), cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return;
        }

        var (failure, code) = await FireflyErrors.ReadWithCodeAsync(response, cancellationToken);
        if (code is "job_completed" or "job_already_canceled" or "job_timeout")
        {
            return;
        }

        throw response.StatusCode == HttpStatusCode.Conflict
            // job_cancel_failed: Adobe could not stop it now; it may still finish (and count against the quota).
            ? ProviderException.ProviderUnavailable(failure.Message)
            : failure;
    }

    /// <summary>Submits and polls in one call, holding the caller until the job ends; the worker uses the schedule instead.</summary>
    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        this.SubmitAndPollAsync(request, time, cancellationToken);

    /// <summary>Job ids look like <c>urn:ff:jobs:…</c>; ':' is kept as it is (Adobe's own clients send it so), the rest escaped.</summary>
    public static string StatusPath(string jobId) => $"v3/status/{EscapeJobId(jobId)}";

    public static string CancelPath(string jobId) => $"v3/cancel/{EscapeJobId(jobId)}";

    private static string EscapeJobId(string jobId) => Uri.EscapeDataString(jobId).Replace("%3A", ":", StringComparison.OrdinalIgnoreCase);

    private async Task<ProviderPollResult> CollectAsync(JobResult? result, ProviderPoll poll, CancellationToken cancellationToken)
    {
        var outputs = result?.Outputs ?? [];
        var images = new List<ProviderImage>(outputs.Count);
        foreach (var output in outputs)
        {
            if (Uri.TryCreate(output.Image?.Url, UriKind.Absolute, out var url))
            {
                // Pre-signed storage URLs: no Adobe credential goes with them.
                images.Add(await fetcher.FetchAsync(url, Name, cancellationToken));
            }
        }

        if (images.Count == 0)
        {
            return ProviderPollResult.Failed(ProviderException.ProviderUnavailable($"{Name} finished the job {poll.TaskId} without any image."));
        }

        var warnings = new List<string>();
        if (result!.PromptHasDeniedWords == true)
        {
            warnings.Add($"{Name} left out words of the prompt that its content rules deny; the images do not follow the whole prompt.");
        }

        if (result.PromptHasBlockedArtists == true)
        {
            warnings.Add($"{Name} ignored artist names in the prompt that it does not imitate; the images do not follow the whole prompt.");
        }

        var requested = int.TryParse(poll.State, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : images.Count;
        if (images.Count < requested)
        {
            warnings.Add($"{Name} made {images.Count} of the {requested} images asked for.");
        }

        return ProviderPollResult.Completed(new ProviderResult(ModelOf(poll.Model), images) { Warnings = warnings });
    }

    /// <summary>
    /// Sends with <c>x-api-key</c> and a bearer token; on 401 drops the token, fetches a new one and sends once more.
    /// <paramref name="build"/> makes a fresh message each time (a message cannot be sent twice). The caller disposes the response.
    /// </summary>
    private async Task<HttpResponseMessage> SendAuthorizedAsync(FireflyCredential credential, Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var options = settings.Get(Id);
        var imsUrl = ImsUrl(options);
        var scopes = options.Option(ScopesOption) ?? DefaultScopes;
        var client = http.CreateClient(Id);
        for (var attempt = 0; ; attempt++)
        {
            var token = await tokens.GetTokenAsync(imsUrl, credential, scopes, cancellationToken);
            using var message = build().WithBearer(token);
            message.Headers.Add(ApiKeyHeader, credential.ClientId);
            var response = await client.SendToProviderAsync(message, Name, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                return response;
            }

            response.Dispose();
            tokens.Invalidate(imsUrl, credential, scopes, token);
        }
    }

    private FireflyCredential Credential(string key) => FireflyCredential.Parse(key, settings.Get(Id).Option(ClientIdOption));

    private static Uri ImsUrl(ProviderSettings options) =>
        options.Option(ImsUrlOption) is not { } configured ? DefaultImsUrl
        : Uri.TryCreate(configured, UriKind.Absolute, out var url) && url.Scheme is "https" or "http" ? url
        : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{ImsUrlOption} is '{configured}'; set an absolute URL such as {DefaultImsUrl}.");

    private static string ModelOf(string model) => string.IsNullOrWhiteSpace(model) ? DefaultModel : model;

    private static string? ContentClass(string? parameter, string? option)
    {
        if (parameter is not null)
        {
            return parameter.Trim().ToLowerInvariant() is "photo" or "art"
                ? parameter.Trim().ToLowerInvariant()
                : throw ProviderException.InvalidRequest($"The parameter content_class is '{parameter}'; use photo or art.");
        }

        return option is null ? null
            : option.Trim().ToLowerInvariant() is "photo" or "art" ? option.Trim().ToLowerInvariant()
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{ContentClassOption} is '{option}'; set photo or art.");
    }

    private TimeSpan Interval(int pollsMade)
    {
        var configured = settings.Get(Id);
        var fast = configured.IntervalOption(Id, PollIntervalOption) ?? DefaultPollInterval;
        var slow = configured.IntervalOption(Id, MaxPollIntervalOption) ?? DefaultMaxPollInterval;
        return pollsMade < FastPolls ? fast : (slow < fast ? fast : slow);
    }


    private sealed record SubmitBody(
        string Prompt,
        string? NegativePrompt,
        int NumVariations,
        long[] Seeds,
        ImageSize Size,
        string? ContentClass,
        string? PromptBiasingLocaleCode);

    private sealed record ImageSize(int Width, int Height);

    private sealed record AcceptAnswer(string? JobId, string? StatusUrl, string? CancelUrl);

    private sealed record StatusAnswer
    {
        public string? JobId { get; init; }

        public string? Status { get; init; }

        public double? Progress { get; init; }

        public JobResult? Result { get; init; }

        // Firefly spells this one in snake_case while everything else is camelCase.
        [System.Text.Json.Serialization.JsonPropertyName("error_code")]
        public string? ErrorCode { get; init; }

        public string? Message { get; init; }
    }

    private sealed record JobResult(List<JobOutput>? Outputs, ImageSize? Size, string? ContentClass, bool? PromptHasDeniedWords, bool? PromptHasBlockedArtists);

    private sealed record JobOutput(long? Seed, JobImage? Image);

    private sealed record JobImage(string? Url);
}
