using System.Globalization;
using System.Net;
using System.Text.Json.Serialization;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Ark;

/// <summary>
/// ByteDance Seedream through Volcengine Ark: <c>POST images/generations</c>, synchronous, one image per call.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The size is the orchestrator's <c>size</c> parameter ("2048x1152"), sent as it is.</item>
/// <item>Images come back as base64 (<c>response_format: b64_json</c>), so nothing is left behind on Ark's
/// 24-hour URLs; a URL answer (a proxy that ignores the format) is downloaded like any other result.</item>
/// <item>Ark can put an error inside an HTTP 200 body, at the top or on one image: every answer is checked.</item>
/// <item>Only the 3.0 models take <c>seed</c> and <c>guidance_scale</c>; only 4.0 takes reference images (<c>image</c>).</item>
/// <item><c>watermark</c> is false unless <c>Providers:ark:Options:Watermark</c> is true (the API's own default is true).</item>
/// </list>
/// </remarks>
public sealed class ArkAdapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings) : IImageProviderAdapter
{
    public const string Id = "ark";
    public const string Name = "Ark";
    public const string DefaultModel = "doubao-seedream-4-0-250828";
    public const string WatermarkOption = "Watermark";

    /// <summary>The most reference images Seedream 4.0 takes in one call.</summary>
    public const int MaxInputImages = 10;

    public static readonly Uri DefaultBaseUrl = new("https://ark.cn-beijing.volces.com/api/v3/");

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        var model = string.IsNullOrWhiteSpace(request.Model) ? DefaultModel : request.Model;
        var seedream3 = IsSeedream3(model);
        if (request.InputImages.Count > 0 && seedream3)
        {
            throw ProviderException.InvalidRequest($"{Name} model {model} makes images from text only; use a Seedream 4.0 model to edit images.");
        }

        if (request.InputImages.Count > MaxInputImages)
        {
            throw ProviderException.InvalidRequest($"{Name} takes at most {MaxInputImages} reference images; {request.InputImages.Count} were given.");
        }

        var body = new GenerationBody(
            model,
            request.Prompt,
            request.Parameter("size") ?? string.Create(CultureInfo.InvariantCulture, $"{request.Width}x{request.Height}"),
            ResponseFormat: "b64_json",
            Watermark: Watermark(),
            // A single image goes as a string, several as an array: both forms are documented.
            Image: request.InputImages.Count switch
            {
                0 => null,
                1 => request.InputImages[0],
                _ => request.InputImages,
            },
            Seed: null,
            GuidanceScale: seedream3 ? ParseNumber(request.Parameter("guidance_scale"), "guidance_scale") : null);

        var client = http.CreateClient(Id);
        var images = new List<ProviderImage>(request.Count);
        string? answeredModel = null;
        for (var i = 0; i < Math.Max(1, request.Count); i++)
        {
            // Image i of a job is the image for seed + i, as with every provider that takes a seed.
            var call = seedream3 ? body with { Seed = (request.Seed + i) % ((long)int.MaxValue + 1) } : body;
            try
            {
                var (answerModel, image) = await GenerateOneAsync(client, call, key, cancellationToken);
                answeredModel ??= answerModel;
                images.Add(image);
            }
            catch (ProviderException ex) when (images.Count > 0)
            {
                throw WithCostOfDelivered(ex, images.Count, request);
            }
        }

        return new ProviderResult(answeredModel ?? model, images);
    }

    private async Task<(string? Model, ProviderImage Image)> GenerateOneAsync(HttpClient client, GenerationBody body, string key, CancellationToken cancellationToken)
    {
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, "images/generations", body).WithBearer(key);
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
            throw MapError(error.StatusCode, error.Code, error.Message, error.RetryAfter);
        }

        var answer = await response.ReadJsonAsync<Answer>(Name, cancellationToken);
        if (answer.Error is { } failure)
        {
            throw MapError(response.StatusCode, failure.Code ?? failure.Type, failure.Message, retryAfter: null);
        }

        var item = answer.Data?.FirstOrDefault() ?? throw ProviderException.ProviderUnavailable($"{Name} answered without any image.");
        if (item.Error is { } itemFailure)
        {
            throw MapError(response.StatusCode, itemFailure.Code ?? itemFailure.Type, itemFailure.Message, retryAfter: null);
        }

        if (item.B64Json is { Length: > 0 } base64)
        {
            return (answer.Model, ImageInspector.FromBase64(base64));
        }

        if (Uri.TryCreate(item.Url, UriKind.Absolute, out var url))
        {
            return (answer.Model, await fetcher.FetchAsync(url, Name, cancellationToken));
        }

        throw ProviderException.ProviderUnavailable($"{Name} answered with an image that has neither data nor a URL.");
    }

    /// <summary>
    /// Ark's error codes first (they say more than the status, and arrive inside HTTP 200 bodies too), then the status.
    /// Codes: https://www.volcengine.com/docs/82379/1299023.
    /// </summary>
    private static ProviderException MapError(HttpStatusCode status, string? code, string? providerMessage, TimeSpan? retryAfter)
    {
        var said = ProviderMessage.Clean(providerMessage);
        var where = status == HttpStatusCode.OK ? "in an HTTP 200 answer" : $"HTTP {(int)status}";
        var context = code is null ? where : $"{where}, {code}";
        string Text(string what) => said.Length == 0 ? $"{Name} {what} ({context})." : $"{Name} {what} ({context}): {said}";

        return code switch
        {
            null => FromStatus(),
            // InputTextSensitiveContentDetected, InputImageSensitiveContentDetected, OutputImageSensitiveContentDetected,
            // SensitiveContentDetected.SevereViolation, …
            _ when code.Contains("SensitiveContentDetected", StringComparison.Ordinal) => ProviderException.ContentPolicy(Text("refused the content")),
            "AuthenticationError" => ProviderException.Authentication(Text("did not accept the API key")),
            "AccessDenied" or "ModelNotOpen" or "OperationDenied.ServiceNotOpen" =>
                ProviderException.Authentication(Text("does not let this account use the model; activate it in the Ark console")),
            "AccountOverdueError" or "OperationDenied.ServiceOverdue" or "QuotaExceeded" or "SetLimitExceeded" =>
                ProviderException.InsufficientCredit(Text("reports that the account is out of credit or quota")),
            "ServerOverloaded" => ProviderException.ProviderUnavailable(Text("is overloaded"), retryAfter),
            "InvalidEndpoint.ClosedEndpoint" or "InternalServiceError" => ProviderException.ProviderUnavailable(Text("is unavailable"), retryAfter),
            _ when code.Contains("RateLimitExceeded", StringComparison.Ordinal) => ProviderException.RateLimited(Text("is rate limiting requests"), retryAfter),
            _ when code.StartsWith("InvalidParameter", StringComparison.Ordinal) || code.StartsWith("MissingParameter", StringComparison.Ordinal)
                   || code.StartsWith("InvalidEndpoint", StringComparison.Ordinal) || code == "NotFound" =>
                ProviderException.InvalidRequest(Text("rejected the request")),
            _ => FromStatus(),
        };

        ProviderException FromStatus() => (int)status is >= 200 and < 300
            // An error this adapter does not know, in a body that claims success: another attempt may fare better.
            ? ProviderException.ProviderUnavailable(Text("reported an error"))
            : ProviderErrorMapper.Map(Name, status, $"{(code is null ? string.Empty : $"{code}: ")}{said}", retryAfter);
    }

    /// <summary>The earlier images of the job were made (and charged) before this call failed; the failure carries their cost.</summary>
    private static ProviderException WithCostOfDelivered(ProviderException failure, int delivered, ProviderRequest request)
    {
        if (request.EstimatedCostUsd is not { } estimate || request.Count <= 0)
        {
            return failure;
        }

        var paid = Math.Round(estimate * delivered / request.Count, 6);
        return new ProviderException(failure.Code, failure.Message, failure.Retryable, failure.InnerException)
        {
            RetryAfter = failure.RetryAfter,
            CostUsd = (failure.CostUsd ?? 0m) + paid,
        };
    }

    private static bool IsSeedream3(string model) =>
        model.StartsWith("doubao-seedream-3", StringComparison.OrdinalIgnoreCase) || model.StartsWith("doubao-seededit-3", StringComparison.OrdinalIgnoreCase);

    private static double? ParseNumber(string? value, string name) =>
        value is null ? null
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
        : throw ProviderException.InvalidRequest($"The parameter {name} is '{value}', which is not a number.");

    private bool Watermark()
    {
        var configured = settings.Get(Id).Option(WatermarkOption);
        if (configured is null)
        {
            return false;
        }

        return bool.TryParse(configured, out var watermark)
            ? watermark
            : throw ProviderException.Internal($"{ProviderSettings.SectionFor(Id)}:Options:{WatermarkOption} is '{configured}'; set it to true or false.");
    }

    private sealed record GenerationBody(
        string Model,
        string Prompt,
        string Size,
        string ResponseFormat,
        bool Watermark,
        object? Image,
        long? Seed,
        double? GuidanceScale);

    private sealed record Answer(string? Model, List<AnswerImage>? Data, AnswerError? Error);

    private sealed record AnswerImage(string? Url, [property: JsonPropertyName("b64_json")] string? B64Json, string? Size, AnswerError? Error);

    private sealed record AnswerError(string? Code, string? Message, string? Param, string? Type);
}
