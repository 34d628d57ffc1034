using System.Globalization;
using System.Net.Http.Headers;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Stability;

/// <summary>
/// Stability AI's Stable Image v2beta API: <c>POST v2beta/stable-image/generate/{ultra|core|sd3}</c>, always
/// multipart/form-data, answered with the image's raw bytes (<c>Accept: image/*</c>).
/// </summary>
/// <remarks>
/// Quirks handled here: a generation the output filter caught still answers HTTP 200, with
/// <c>finish-reason: CONTENT_FILTERED</c> in a header and a blurred image in the body, so the header is checked
/// before the bytes are used; a prompt refused up front is a 403 named <c>content_moderation</c>, not an
/// authentication failure. The API makes one image per call, so a job for n images makes n calls, each with its
/// own seed (the job's seed plus the image's index), so the images differ and the batch is reproducible.
/// </remarks>
public sealed class StabilityAdapter(IHttpClientFactory http, IOptionsMonitor<ResultFetchOptions> limits) : IImageProviderAdapter
{
    public const string Id = "stability";
    public const string Name = "Stability AI";
    public const string DefaultModel = "core";

    /// <summary>The largest seed the API takes; 0 asks it for a random one.</summary>
    public const long MaxSeed = 4_294_967_294;

    public const int MaxPromptLength = 10_000;

    /// <summary>A safety net against paying for a runaway count; the catalog allows far fewer per job.</summary>
    public const int MaxCount = 10;

    public const string FinishReasonHeader = "finish-reason";
    public const string ContentFiltered = "CONTENT_FILTERED";

    public static readonly Uri DefaultBaseUrl = new("https://api.stability.ai/");

    /// <summary>The models and the endpoint each is served by; the SD 3.5 models share one, told apart by its <c>model</c> field.</summary>
    public static readonly IReadOnlyDictionary<string, string> Endpoints = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["ultra"] = "ultra",
        ["core"] = "core",
        ["sd3.5-large"] = "sd3",
        ["sd3.5-large-turbo"] = "sd3",
        ["sd3.5-medium"] = "sd3",
    };

    // Filled from the request itself; a provider-native parameter of the same name would send the field twice.
    private static readonly HashSet<string> OwnFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "prompt", "negative_prompt", "seed", "output_format", "model", "mode", "image", "strength",
    };

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = (request.Model.Length == 0 ? DefaultModel : request.Model).ToLowerInvariant();
        var endpoint = Endpoints.GetValueOrDefault(model)
            ?? throw ProviderException.InvalidRequest($"{Name} has no model '{request.Model}'; its models are {string.Join(", ", Endpoints.Keys)}.");
        var format = OutputFormat(request.OutputFormat, endpoint);
        Validate(request);
        var key = request.RequireCredential();

        var client = http.CreateClient(Id);
        // Buffered whole (so the client's timeout covers the body too), but never more than an image may be.
        client.MaxResponseContentBufferSize = limits.CurrentValue.MaxBytes;
        var perImageUsd = request.EstimatedCostUsd / request.Count;
        var images = await OneImagePerCall.GenerateEachAsync(
            request.Count, perImageUsd,
            (index, ct) => GenerateOneAsync(client, key, request, model, endpoint, format, SeedFor(request.Seed, index), perImageUsd, ct),
            cancellationToken);
        return new ProviderResult(model, images);
    }

    private static async Task<ProviderImage> GenerateOneAsync(
        HttpClient client, string key, ProviderRequest request, string model, string endpoint, string format, long seed, decimal? perImageUsd,
        CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        AddField(form, "prompt", request.Prompt);
        if (!string.IsNullOrWhiteSpace(request.NegativePrompt))
        {
            AddField(form, "negative_prompt", request.NegativePrompt);
        }

        AddField(form, "seed", seed.ToString(CultureInfo.InvariantCulture));
        AddField(form, "output_format", format);
        if (endpoint == "sd3")
        {
            AddField(form, "model", model);
            AddField(form, "mode", "text-to-image");
        }

        // aspect_ratio (translated by the orchestrator from the asked size), style_preset, cfg_scale, …
        foreach (var (name, value) in request.Parameters)
        {
            if (!OwnFields.Contains(name))
            {
                AddField(form, name, value);
            }
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, $"v2beta/stable-image/generate/{endpoint}") { Content = form }.WithBearer(key);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/*"));
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await MapErrorAsync(response, cancellationToken);
        }

        var finishReason = response.Headers.TryGetValues(FinishReasonHeader, out var values) ? values.FirstOrDefault()?.Trim() : null;
        if (string.Equals(finishReason, ContentFiltered, StringComparison.OrdinalIgnoreCase))
        {
            // The image was made (and, as far as Stability documents, paid for), then blurred by its output filter.
            throw ProviderException.ContentPolicy(
                $"{Name} generated the image but its content filter withheld it (finish-reason {ContentFiltered}); rephrase the prompt.", perImageUsd);
        }

        if (finishReason is { Length: > 0 } && !finishReason.Equals("SUCCESS", StringComparison.OrdinalIgnoreCase))
        {
            throw ProviderException.ProviderUnavailable($"{Name} finished the generation with '{ProviderMessage.Clean(finishReason)}' instead of SUCCESS.");
        }

        // Already buffered, and paid for: a sibling call failing now must not make this image count as never made.
        var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
        return ImageInspector.ToProviderImage(bytes);
    }

    private static async Task<ProviderException> MapErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // {"id": "…", "name": "content_moderation" | "bad_request" | "payment_required" | …, "errors": ["…"]}
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        if (string.Equals(error.Code, "content_moderation", StringComparison.OrdinalIgnoreCase))
        {
            var said = error.Message.Length > 0 ? $": {error.Message}" : ".";
            return ProviderException.ContentPolicy($"{Name} refused the request on content grounds (HTTP {(int)error.StatusCode}){said}");
        }

        // 400 invalid, 401/403 key, 402 credit, 413/422 rejected, 429 throttled, 5xx down.
        return ProviderErrorMapper.Map(Name, error);
    }

    private static void AddField(MultipartFormDataContent form, string name, string value)
    {
        // Plain form fields, as a browser or curl -F sends them: no per-part content type.
        var content = new StringContent(value);
        content.Headers.ContentType = null;
        form.Add(content, name);
    }

    private static string OutputFormat(ImageOutputFormat format, string endpoint) => format switch
    {
        ImageOutputFormat.Png => "png",
        ImageOutputFormat.Jpeg => "jpeg",
        ImageOutputFormat.Webp when endpoint != "sd3" => "webp",
        _ => throw ProviderException.InvalidRequest($"The {Name} SD 3.5 models make png or jpeg images, not {format.ToString().ToLowerInvariant()}."),
    };

    private static void Validate(ProviderRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Prompt) || request.Prompt.Length > MaxPromptLength)
        {
            throw ProviderException.InvalidRequest($"{Name} takes a prompt of 1 to {MaxPromptLength} characters.");
        }

        if (request.Count is < 1 or > MaxCount)
        {
            throw ProviderException.InvalidRequest($"{Name} is asked for 1 to {MaxCount} images at a time, not {request.Count}.");
        }

        if (request.Seed is < 0 or > MaxSeed)
        {
            throw ProviderException.InvalidRequest($"{Name} takes seeds from 0 to {MaxSeed}, not {request.Seed}.");
        }

        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"The {Name} adapter generates from text only; input images are not supported.");
        }
    }

    // 0 leaves every call's seed to the provider; otherwise seed + index, wrapping past MaxSeed to 1 (0 would mean random).
    internal static long SeedFor(long seed, int index) => seed == 0 ? 0 : 1 + ((seed - 1 + index) % MaxSeed);
}
