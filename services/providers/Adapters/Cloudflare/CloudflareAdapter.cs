using System.Globalization;
using System.Net;
using System.Text.Json;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Cloudflare;

/// <summary>
/// Cloudflare Workers AI text-to-image over the REST API:
/// <c>POST accounts/{account}/ai/run/@cf/{model}</c> with an API token, one image per call.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The account id comes from <c>Providers:cloudflare:Options:AccountId</c>; it is part of the path, not a secret.</item>
/// <item>FLUX.1 [schnell] answers <c>{"result":{"image":"&lt;base64 JPEG&gt;"},"success":true,"errors":[]}</c> and its input
/// schema is closed (<c>prompt</c>, <c>steps</c>): a seed, a size or a negative prompt would be refused, so none is sent.</item>
/// <item>Stable Diffusion XL answers with the raw PNG bytes and takes width, height, seed and a negative prompt.</item>
/// <item>Failures are <c>{"success":false,"errors":[{"code","message"}]}</c>, sometimes inside an HTTP 200: the
/// envelope is always checked. A refused prompt is code 3030 ("Input prompt contains NSFW content").</item>
/// </list>
/// </remarks>
public sealed class CloudflareAdapter(IHttpClientFactory http, IOptionsMonitor<ProviderSettings> settings) : IImageProviderAdapter
{
    public const string Id = "cloudflare";
    public const string Name = "Cloudflare Workers AI";
    public const string AccountIdOption = "AccountId";
    public const string FluxSchnell = "flux-1-schnell";
    public const string StableDiffusionXl = "stable-diffusion-xl-base-1.0";
    public const string DefaultModel = FluxSchnell;

    public static readonly Uri DefaultBaseUrl = new("https://api.cloudflare.com/client/v4/");

    private static readonly Dictionary<string, WorkersAiModel> Models = new(StringComparer.OrdinalIgnoreCase)
    {
        [FluxSchnell] = new("@cf/black-forest-labs/flux-1-schnell", RawImage: false),
        [StableDiffusionXl] = new("@cf/stabilityai/stable-diffusion-xl-base-1.0", RawImage: true),
    };

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    /// <summary>The configuration key of the account id, e.g. for messages: <c>Providers:cloudflare:Options:AccountId</c>.</summary>
    public static string AccountIdConfigurationKey => $"{ProviderSettings.SectionFor(Id)}:Options:{AccountIdOption}";

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        var accountId = settings.Get(Id).Option(AccountIdOption)?.Trim()
            ?? throw ProviderException.Authentication(
                $"No Cloudflare account id for the provider '{Id}': set {AccountIdConfigurationKey} (environment variable {AccountIdConfigurationKey.Replace(":", "__", StringComparison.Ordinal)}) on its worker.");
        var modelId = string.IsNullOrWhiteSpace(request.Model) ? DefaultModel : request.Model;
        if (!Models.TryGetValue(modelId, out var model))
        {
            throw ProviderException.InvalidRequest($"{Name} has no model '{modelId}' here; use {string.Join(" or ", Models.Keys)}.");
        }

        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"{Name} model {modelId} makes images from text only.");
        }

        var path = $"accounts/{Uri.EscapeDataString(accountId)}/ai/run/{model.Route}";
        var client = http.CreateClient(Id);
        var images = new List<ProviderImage>(request.Count);
        for (var i = 0; i < Math.Max(1, request.Count); i++)
        {
            object body = model.RawImage
                ? new SdxlBody(request.Prompt, request.NegativePrompt, request.Width, request.Height,
                    // Image i of a job is the image for seed + i, as with every provider that takes a seed.
                    request.Seed + i,
                    ParseInteger(request.Parameter("num_steps"), "num_steps"), ParseNumber(request.Parameter("guidance"), "guidance"))
                : new FluxBody(request.Prompt, ParseInteger(request.Parameter("steps"), "steps"));
            try
            {
                images.Add(await GenerateOneAsync(client, path, body, key, cancellationToken));
            }
            catch (ProviderException ex) when (images.Count > 0)
            {
                throw WithCostOfDelivered(ex, images.Count, request);
            }
        }

        return new ProviderResult(modelId, images);
    }

    private static async Task<ProviderImage> GenerateOneAsync(HttpClient client, string path, object body, string key, CancellationToken cancellationToken)
    {
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, path, body).WithBearer(key);
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
            throw MapError(error.StatusCode, Codes(error.Body), error.Message, error.RetryAfter);
        }

        if (response.Content.Headers.ContentType?.MediaType is { } mediaType && mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            return ImageInspector.ToProviderImage(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        }

        var envelope = await response.ReadJsonAsync<Envelope>(Name, cancellationToken);
        if (envelope.Success == false || envelope.Errors is { Count: > 0 })
        {
            var errors = envelope.Errors ?? [];
            throw MapError(response.StatusCode, errors.Select(e => e.Code).ToList(), string.Join("; ", errors.Select(e => e.Message)), retryAfter: null);
        }

        return envelope.Result?.Image is { Length: > 0 } image
            ? ImageInspector.FromBase64(image)
            : throw ProviderException.ProviderUnavailable($"{Name} answered without an image.");
    }

    /// <summary>
    /// Workers AI's own codes first (a refused prompt and a used-up free allocation are both 4xx that the status
    /// alone would misname), then the status. Codes: https://developers.cloudflare.com/workers-ai/platform/errors/.
    /// </summary>
    private static ProviderException MapError(HttpStatusCode status, IReadOnlyCollection<int> codes, string? providerMessage, TimeSpan? retryAfter)
    {
        var said = ProviderMessage.Clean(providerMessage);
        var where = status == HttpStatusCode.OK ? "in an HTTP 200 answer" : $"HTTP {(int)status}";
        var context = codes.Count == 0 ? where : $"{where}, code {string.Join(", ", codes.Select(c => c.ToString(CultureInfo.InvariantCulture)))}";
        string Text(string what) => said.Length == 0 ? $"{Name} {what} ({context})." : $"{Name} {what} ({context}): {said}";

        if (codes.Contains(3030) || said.Contains("NSFW", StringComparison.OrdinalIgnoreCase))
        {
            return ProviderException.ContentPolicy(Text("refused the prompt"));
        }

        if (codes.Contains(3036))
        {
            return ProviderException.InsufficientCredit(Text("reports that the account's daily allocation is used up"));
        }

        if (codes.Contains(3040))
        {
            return ProviderException.ProviderUnavailable(Text("is out of capacity"), retryAfter);
        }

        if (codes.Contains(3007) || codes.Contains(3008))
        {
            return ProviderException.Timeout(Text("timed out"));
        }

        // 10000 "Authentication error", 9109 "Invalid access token", 3023 account blocked, 5018/3041 model not allowed.
        if (codes.Any(c => c is 10000 or 10001 or 9106 or 9109 or 3023 or 3041 or 5016 or 5018))
        {
            return ProviderException.Authentication(Text("did not accept the API token or account"));
        }

        if (codes.Any(c => c is 5007 or 3042 or 3003 or 5004))
        {
            return ProviderException.InvalidRequest(Text("rejected the request"));
        }

        return (int)status is >= 200 and < 300
            ? ProviderException.ProviderUnavailable(Text("reported a failure"))
            : ProviderErrorMapper.Map(Name, status, said, retryAfter);
    }

    /// <summary>The earlier images of the job were made (and charged) before this call failed; the failure carries their cost.</summary>
    private static ProviderException WithCostOfDelivered(ProviderException failure, int delivered, ProviderRequest request)
    {
        if (request.EstimatedCostUsd is not { } estimate || request.Count <= 0)
        {
            return failure;
        }

        return new ProviderException(failure.Code, failure.Message, failure.Retryable, failure.InnerException)
        {
            RetryAfter = failure.RetryAfter,
            CostUsd = (failure.CostUsd ?? 0m) + Math.Round(estimate * delivered / request.Count, 6),
        };
    }

    private static List<int> Codes(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<Envelope>(body, ProviderHttp.SnakeCaseJson)?.Errors?.Select(e => e.Code).ToList() ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static int? ParseInteger(string? value, string name) =>
        value is null ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number
        : throw ProviderException.InvalidRequest($"The parameter {name} is '{value}', which is not a whole number.");

    private static double? ParseNumber(string? value, string name) =>
        value is null ? null
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
        : throw ProviderException.InvalidRequest($"The parameter {name} is '{value}', which is not a number.");

    private sealed record WorkersAiModel(string Route, bool RawImage);

    private sealed record FluxBody(string Prompt, int? Steps);

    private sealed record SdxlBody(string Prompt, string? NegativePrompt, int Width, int Height, long Seed, int? NumSteps, double? Guidance);

    private sealed record Envelope(bool? Success, EnvelopeResult? Result, List<EnvelopeError>? Errors);

    private sealed record EnvelopeResult(string? Image);

    private sealed record EnvelopeError(int Code, string? Message);
}
