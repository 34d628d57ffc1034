using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.HuggingFace;

/// <summary>
/// Hugging Face's serverless inference through the Inference Providers router:
/// <c>POST hf-inference/models/{owner}/{name}</c> with <c>{"inputs": prompt, "parameters": {…}}</c>, answered with
/// the image's raw bytes.
/// </summary>
/// <remarks>
/// A model that is not loaded answers 503 with <c>{"error": "… is currently loading", "estimated_time": 20.0}</c>:
/// that becomes a retryable <c>provider_unavailable</c> whose retry-after is the estimate, so the orchestrator
/// tries again when the model should be warm. <c>x-wait-for-model: true</c> asks the API to hold the call
/// while the model loads instead (on by default; <c>Providers:huggingface:Options:WaitForModel</c>), and
/// <c>x-use-cache: false</c> keeps it from answering a repeated prompt with the image it made before.
/// One image per call: a job for n images makes n calls, seeds seed, seed + 1, ….
/// </remarks>
public sealed partial class HuggingFaceAdapter(
    IHttpClientFactory http, IOptionsMonitor<ProviderSettings> settings, IOptionsMonitor<ResultFetchOptions> limits) : IImageProviderAdapter
{
    public const string Id = "huggingface";
    public const string Name = "Hugging Face";
    public const string DefaultModel = "black-forest-labs/FLUX.1-schnell";
    public const string WaitForModelOption = "WaitForModel";

    /// <summary>A safety net against paying for a runaway count; the catalog allows far fewer per job.</summary>
    public const int MaxCount = 10;

    public static readonly Uri DefaultBaseUrl = new("https://router.huggingface.co/hf-inference/");

    // Filled from the request itself; a provider-native parameter of the same name would be sent twice.
    private static readonly HashSet<string> OwnParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "width", "height", "seed", "negative_prompt",
    };

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = request.Model.Length == 0 ? DefaultModel : request.Model;
        Validate(request, model);
        var key = request.RequireCredential();
        var waitForModel = !bool.TryParse(settings.Get(Id).Option(WaitForModelOption), out var wait) || wait;

        var client = http.CreateClient(Id);
        // Buffered whole (so the client's timeout covers the body too), but never more than an image may be.
        client.MaxResponseContentBufferSize = limits.CurrentValue.MaxBytes;
        var perImageUsd = request.EstimatedCostUsd / request.Count;
        var images = await OneImagePerCall.GenerateEachAsync(
            request.Count, perImageUsd,
            (index, ct) => GenerateOneAsync(client, key, request, model, request.Seed + index, waitForModel, ct),
            cancellationToken);
        return new ProviderResult(model, images);
    }

    private static async Task<ProviderImage> GenerateOneAsync(
        HttpClient client, string key, ProviderRequest request, string model, long seed, bool waitForModel, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, object>(StringComparer.Ordinal);
        // num_inference_steps, guidance_scale, scheduler, … as the orchestrator passed them, typed as JSON wants them.
        foreach (var (name, value) in request.Parameters)
        {
            if (!OwnParameters.Contains(name))
            {
                parameters[name] = JsonValue(value);
            }
        }

        parameters["width"] = request.Width;
        parameters["height"] = request.Height;
        parameters["seed"] = seed;
        if (!string.IsNullOrWhiteSpace(request.NegativePrompt))
        {
            parameters["negative_prompt"] = request.NegativePrompt;
        }

        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, $"models/{model}", new { Inputs = request.Prompt, Parameters = parameters })
            .WithBearer(key);
        message.Headers.Add("x-wait-for-model", waitForModel ? "true" : "false");
        message.Headers.Add("x-use-cache", "false");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(request.OutputFormat.ContentType()));
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await MapErrorAsync(response, model, cancellationToken);
        }

        // Already buffered, and paid for: a sibling call failing now must not make this image count as never made.
        var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
        return ImageInspector.ToProviderImage(bytes);
    }

    private static async Task<ProviderException> MapErrorAsync(HttpResponseMessage response, string model, CancellationToken cancellationToken)
    {
        // {"error": "…"} (validation errors sometimes as a list), plus "estimated_time" on a 503 while the model loads.
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var (listed, estimatedTime) = ReadBody(error.Body);
        var message = error.Message.Length > 0 ? error.Message : listed;
        return error.StatusCode switch
        {
            HttpStatusCode.NotFound => ProviderException.InvalidRequest(
                $"{Name} does not serve the model '{model}' on hf-inference (HTTP 404){Said(message)}"),
            HttpStatusCode.ServiceUnavailable => ProviderErrorMapper.Map(Name, error.StatusCode, message, error.RetryAfter ?? estimatedTime),
            // 400 invalid, 401/403 token, 402 credits, 429 throttled, other 5xx down.
            _ => ProviderErrorMapper.Map(Name, error.StatusCode, message, error.RetryAfter),
        };
    }

    private static string Said(string? message) => ProviderMessage.Clean(message) is { Length: > 0 } said ? $": {said}" : ".";

    private static (string? Listed, TimeSpan? EstimatedTime) ReadBody(string body)
    {
        if (!body.TrimStart().StartsWith('{'))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            string? listed = null;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Array)
            {
                listed = string.Join("; ", error.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()));
            }

            TimeSpan? estimate = root.TryGetProperty("estimated_time", out var seconds) && seconds.ValueKind == JsonValueKind.Number
                                 && seconds.TryGetDouble(out var value) && value > 0 && value < TimeSpan.FromDays(1).TotalSeconds
                ? TimeSpan.FromSeconds(value)
                : null;
            return (listed, estimate);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    // Parameters arrive as strings; the API wants numbers and booleans as such.
    private static object JsonValue(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? integer
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number
        : bool.TryParse(value, out var flag) ? flag
        : value;

    private static void Validate(ProviderRequest request, string model)
    {
        // The id becomes part of the URL path: only the Hub's own repository id shape, never "..", "?" or "%2F".
        if (!ModelIdPattern().IsMatch(model))
        {
            throw ProviderException.InvalidRequest($"'{model}' is not a Hugging Face model id; use the Hub's owner/name form, e.g. {DefaultModel}.");
        }

        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw ProviderException.InvalidRequest($"{Name} needs a prompt.");
        }

        if (request.Count is < 1 or > MaxCount)
        {
            throw ProviderException.InvalidRequest($"{Name} is asked for 1 to {MaxCount} images at a time, not {request.Count}.");
        }

        if (request.Width <= 0 || request.Height <= 0 || request.Seed < 0)
        {
            throw ProviderException.InvalidRequest($"{Name} needs a positive width and height and a seed of 0 or more.");
        }

        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"The {Name} adapter generates from text only; input images are not supported.");
        }
    }

    [GeneratedRegex(@"^(?:[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")]
    private static partial Regex ModelIdPattern();
}
