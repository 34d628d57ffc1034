using System.Globalization;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Google;

/// <summary>
/// Google's image models on the Gemini Developer API (<c>generativelanguage.googleapis.com</c>, key in
/// <c>x-goog-api-key</c>): Imagen 4 through <c>models/{model}:predict</c> and Gemini image models through
/// <c>models/{model}:generateContent</c>. The model id decides which (<c>imagen-…</c> or <c>gemini-…</c>), so a
/// newer model of either family needs only a catalog entry.
/// </summary>
/// <remarks>
/// Both answer synchronously with base64 images. Neither says "refused" with an error status: Imagen leaves
/// filtered images out of <c>predictions</c> (or, asked with <c>includeRaiReason</c>, leaves only the reason),
/// and Gemini answers HTTP 200 with no image part and a <c>promptFeedback.blockReason</c> or a safety
/// <c>finishReason</c>. A job whose images were all refused fails as <c>content_policy</c> with Google's reason;
/// one with some left returns those and logs how many were dropped. Gemini makes one image per call, so a job
/// for several makes several calls, one after the other (a burst would only meet the per-minute quota sooner).
/// </remarks>
public sealed partial class GoogleAdapter(
    IHttpClientFactory http,
    ResultImageFetcher fetcher,
    IOptionsMonitor<ProviderSettings> settings,
    ILogger<GoogleAdapter> logger) : IImageProviderAdapter
{
    public const string Id = "google";
    public const string DefaultModel = "gemini-2.5-flash-image";

    /// <summary>The header Google reads the API key from; never the <c>?key=</c> query parameter, since request URLs are logged.</summary>
    public const string ApiKeyHeader = "x-goog-api-key";

    /// <summary>Imagen's <c>sampleCount</c> limit, and so the most images one job may ask of either family.</summary>
    public const int MaxImages = 4;

    /// <summary>Provider-native parameter the orchestrator sets from the requested size ("16:9").</summary>
    public const string AspectRatioParameter = "aspect_ratio";

    /// <summary>Optional parameters, else options <c>Providers:google:Options:PersonGeneration</c> / <c>ImageSize</c>.</summary>
    public const string PersonGenerationParameter = "person_generation";

    public const string ImageSizeParameter = "image_size";

    public static readonly Uri DefaultBaseUrl = new("https://generativelanguage.googleapis.com/v1beta/");

    /// <summary>Aspect ratios each family accepts: the fallback when a request comes without one.</summary>
    public static readonly IReadOnlyList<string> ImagenAspectRatios = ["1:1", "3:4", "4:3", "9:16", "16:9"];

    public static readonly IReadOnlyList<string> GeminiAspectRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

    internal const string Name = "Google";

    // Gemini reads these; GIF and others are refused by the API, so refuse them here with a clearer message.
    private static readonly string[] GeminiInputTypes = ["image/png", "image/jpeg", "image/webp"];

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        var model = request.Model.Length == 0 ? DefaultModel : request.Model;
        if (request.Count is < 1 or > MaxImages)
        {
            throw ProviderException.InvalidRequest($"{Name} makes 1 to {MaxImages} images per request; {request.Count} was asked for.");
        }

        if (model.StartsWith("imagen-", StringComparison.OrdinalIgnoreCase))
        {
            return GenerateWithImagenAsync(request, model, key, cancellationToken);
        }

        if (model.StartsWith("gemini-", StringComparison.OrdinalIgnoreCase))
        {
            return GenerateWithGeminiAsync(request, model, key, cancellationToken);
        }

        throw ProviderException.InvalidRequest($"'{model}' is not a Google image model this worker knows how to call: expected an imagen-… or gemini-… model.");
    }

    private async Task<ProviderResult> GenerateWithImagenAsync(ProviderRequest request, string model, string key, CancellationToken cancellationToken)
    {
        if (request.InputImages.Count > 0)
        {
            throw ProviderException.InvalidRequest($"{model} does not take input images; {DefaultModel} can edit images.");
        }

        var options = settings.Get(Id);
        var parameters = new ImagenParameters(
            SampleCount: request.Count,
            AspectRatio: request.Parameter(AspectRatioParameter) ?? NearestAspectRatio(request.Width, request.Height, ImagenAspectRatios),
            PersonGeneration: request.Parameter(PersonGenerationParameter) ?? options.Option("PersonGeneration"),
            // Fast renders 1K only and refuses the field; the Gemini API names it sampleImageSize (the SDKs' image_size).
            SampleImageSize: model.Contains("-fast-", StringComparison.OrdinalIgnoreCase) ? null : request.Parameter(ImageSizeParameter) ?? options.Option("ImageSize"),
            // Without it a filtered image is silently missing; with it, the reason comes back in its place.
            IncludeRaiReason: true,
            OutputOptions: request.OutputFormat == ImageOutputFormat.Jpeg ? new ImagenOutputOptions("image/jpeg") : null);
        var body = new ImagenRequest([new ImagenInstance(request.Prompt)], parameters);

        var answer = await PostAsync<ImagenRequest, ImagenResponse>($"models/{Uri.EscapeDataString(model)}:predict", body, key, cancellationToken);

        var images = new List<ProviderImage>();
        var reasons = new List<string>();
        foreach (var prediction in answer.Predictions ?? [])
        {
            if (prediction.BytesBase64Encoded is { Length: > 0 } base64)
            {
                images.Add(ImageInspector.FromBase64(base64));
            }
            else if (!string.IsNullOrWhiteSpace(prediction.RaiFilteredReason))
            {
                reasons.Add(ProviderMessage.Clean(prediction.RaiFilteredReason, key));
            }
        }

        var reason = reasons.Count == 0 ? "no reason given" : string.Join(" ", reasons.Distinct(StringComparer.Ordinal));
        if (images.Count == 0)
        {
            // Google does not charge for filtered images ("You will not be charged for blocked images").
            throw ProviderException.ContentPolicy($"{Name} filtered every image {model} made for this prompt: {reason}", costUsd: 0m);
        }

        List<string> warnings = [];
        if (images.Count < request.Count)
        {
            LogPartial(model, images.Count, request.Count, request.JobId, reason);
            warnings.Add($"{Name} returned {images.Count} of {request.Count} images; the others were filtered: {reason}");
        }

        return new ProviderResult(model, images.Take(request.Count).ToList(), CostOf(request, Math.Min(images.Count, request.Count))) { Warnings = warnings };
    }

    private async Task<ProviderResult> GenerateWithGeminiAsync(ProviderRequest request, string model, string key, CancellationToken cancellationToken)
    {
        var parts = new List<GeminiPart> { new(Text: request.Prompt) };
        foreach (var blob in await ReadInputImagesAsync(request.InputImages, cancellationToken))
        {
            parts.Add(new GeminiPart(InlineData: blob));
        }

        var aspectRatio = request.Parameter(AspectRatioParameter) ?? NearestAspectRatio(request.Width, request.Height, GeminiAspectRatios);
        var body = new GeminiRequest(
            [new GeminiContent(parts)],
            new GeminiGenerationConfig(["TEXT", "IMAGE"], new GeminiImageConfig(aspectRatio)));
        var path = $"models/{Uri.EscapeDataString(model)}:generateContent";

        var images = new List<ProviderImage>();
        ProviderException? refusal = null;
        ProviderException? lastFailure = null;
        ProviderException? stoppedBy = null;
        string? modelVersion = null;
        for (var call = 0; call < request.Count && images.Count < request.Count; call++)
        {
            GeminiResponse answer;
            try
            {
                answer = await PostAsync<GeminiRequest, GeminiResponse>(path, body, key, cancellationToken);
            }
            catch (ProviderException ex) when (images.Count > 0)
            {
                // The images already made are paid for: keep them rather than fail the job and pay again on a retry.
                LogStoppedEarly(model, images.Count, request.Count, request.JobId, ex.Code, ex.Message);
                stoppedBy = ex;
                break;
            }

            modelVersion ??= answer.ModelVersion;
            var made = ImagesIn(answer);
            if (made.Count > 0)
            {
                images.AddRange(made.Take(request.Count - images.Count));
                continue;
            }

            var failure = NoImageFailure(model, answer, key);
            lastFailure = failure;
            if (failure.Code == ErrorCodes.ContentPolicy)
            {
                refusal ??= failure;
            }

            // A blocked prompt is blocked on every call; a refused output is a property of that one sample.
            if (answer.PromptFeedback?.BlockReason is { Length: > 0 })
            {
                break;
            }
        }

        if (images.Count == 0)
        {
            throw refusal ?? lastFailure ?? ProviderException.ProviderUnavailable($"{Name} returned no image from {model}.");
        }

        List<string> warnings = [];
        if (images.Count < request.Count && stoppedBy is not null)
        {
            warnings.Add($"{Name} returned {images.Count} of {request.Count} images, then failed ({stoppedBy.Code}): {stoppedBy.Message}");
        }
        else if (images.Count < request.Count && (refusal ?? lastFailure) is { } dropped)
        {
            LogPartial(model, images.Count, request.Count, request.JobId, dropped.Message);
            warnings.Add($"{Name} returned {images.Count} of {request.Count} images: {dropped.Message}");
        }

        return new ProviderResult(modelVersion ?? model, images, CostOf(request, images.Count)) { Warnings = warnings };
    }

    private static List<ProviderImage> ImagesIn(GeminiResponse answer)
    {
        var images = new List<ProviderImage>();
        var parts = answer.Candidates?.FirstOrDefault()?.Content?.Parts ?? [];
        foreach (var part in parts)
        {
            if (part.InlineData is { Data.Length: > 0 } blob
                && (blob.MimeType is null || blob.MimeType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)))
            {
                images.Add(ImageInspector.FromBase64(blob.Data));
            }
        }

        return images;
    }

    /// <summary>Why a Gemini answer has no image, in the unified vocabulary, with Google's own reason kept.</summary>
    private static ProviderException NoImageFailure(string model, GeminiResponse answer, string key)
    {
        var candidate = answer.Candidates?.FirstOrDefault();
        var said = string.Join(" ", (candidate?.Content?.Parts ?? []).Select(p => p.Text).Where(t => !string.IsNullOrWhiteSpace(t)));
        var text = ProviderMessage.Clean(said, key);
        var suffix = text.Length == 0 ? "." : $": {text}";

        if (answer.PromptFeedback?.BlockReason is { Length: > 0 } blockReason)
        {
            var detail = ProviderMessage.Clean(answer.PromptFeedback.BlockReasonMessage, key);
            return ProviderException.ContentPolicy(
                $"{Name} blocked the prompt for {model} (blockReason {blockReason}){(detail.Length == 0 ? suffix : $": {detail}")}");
        }

        var finishReason = candidate?.FinishReason;
        if (finishReason is not null && IsContentRefusal(finishReason))
        {
            var detail = ProviderMessage.Clean(candidate!.FinishMessage, key);
            return ProviderException.ContentPolicy(
                $"{Name} refused to return the image {model} made (finishReason {finishReason}){(detail.Length == 0 ? suffix : $": {detail}")}");
        }

        // The model answered in words only (it asked a question, or explained itself): another sample may draw.
        return ProviderException.Internal(
            $"{Name} {model} answered without an image (finishReason {finishReason ?? "none"}){suffix}", retryable: true);
    }

    private static bool IsContentRefusal(string finishReason) => finishReason.ToUpperInvariant() is
        "SAFETY" or "PROHIBITED_CONTENT" or "BLOCKLIST" or "SPII" or "RECITATION"
        or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" or "IMAGE_RECITATION";

    /// <summary>Caller-supplied images as Gemini <c>inlineData</c>: URLs fetched with the SSRF-safe fetcher, data URIs decoded, all checked to be images.</summary>
    private async Task<List<GeminiBlob>> ReadInputImagesAsync(IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        var blobs = new List<GeminiBlob>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var which = $"input image {i + 1}";
            ProviderImage image;
            try
            {
                image = inputs[i].TrimStart().StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                    ? ImageInspector.FromBase64(inputs[i])
                    : Uri.TryCreate(inputs[i], UriKind.Absolute, out var url)
                        ? await fetcher.FetchAsync(new ImageFetchRequest(url, $"{Name} ({which})"), cancellationToken)
                        : throw ProviderException.InvalidRequest($"{which} is neither an http(s) URL nor a data URI.");
            }
            catch (ProviderException ex) when (ex.Code != ErrorCodes.InvalidRequest && (!ex.Retryable || ex.Code == ErrorCodes.Internal))
            {
                // Not an image, or at an address the worker may not reach: the caller's to fix, not a reason to retry.
                throw ProviderException.InvalidRequest($"{which} cannot be used: {ex.Message}", ex);
            }

            if (!GeminiInputTypes.Contains(image.ContentType, StringComparer.Ordinal))
            {
                throw ProviderException.InvalidRequest($"{which} is {image.ContentType}; Gemini takes PNG, JPEG or WebP images.");
            }

            await using var stream = await image.OpenReadAsync(cancellationToken);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            blobs.Add(new GeminiBlob(image.ContentType, Convert.ToBase64String(copy.GetBuffer(), 0, (int)copy.Length)));
        }

        return blobs;
    }

    private async Task<TAnswer> PostAsync<TBody, TAnswer>(string path, TBody body, string key, CancellationToken cancellationToken)
    {
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, path, body, ProviderHttp.CamelCaseJson);
        message.Headers.TryAddWithoutValidation(ApiKeyHeader, key);
        using var response = await http.CreateClient(Id).SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw GoogleErrors.Map(await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken), key);
        }

        return await response.ReadJsonAsync<TAnswer>(Name, cancellationToken, ProviderHttp.CamelCaseJson);
    }

    /// <summary>The job's estimate scaled to the images actually returned: refused images are not charged.</summary>
    private static decimal? CostOf(ProviderRequest request, int returned) =>
        request.EstimatedCostUsd is { } estimate && request.Count > 0 ? Math.Round(estimate / request.Count * returned, 6) : null;

    /// <summary>The ratio nearest in shape to <paramref name="width"/>x<paramref name="height"/>, for requests that come without one.</summary>
    public static string NearestAspectRatio(int width, int height, IReadOnlyList<string> ratios)
    {
        ArgumentNullException.ThrowIfNull(ratios);
        if (width <= 0 || height <= 0)
        {
            return ratios[0];
        }

        var asked = (double)width / height;
        return ratios.MinBy(r =>
        {
            var parts = r.Split(':');
            var value = double.Parse(parts[0], CultureInfo.InvariantCulture) / double.Parse(parts[1], CultureInfo.InvariantCulture);
            return Math.Abs(Math.Log(value / asked));
        })!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Google {Model} returned {Returned} of {Requested} images for job {JobId}; the rest were refused: {Reason}")]
    private partial void LogPartial(string model, int returned, int requested, Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Google {Model} stopped after {Returned} of {Requested} images for job {JobId} ({Code}): {Reason}")]
    private partial void LogStoppedEarly(string model, int returned, int requested, Guid jobId, string code, string reason);

    private sealed record ImagenRequest(IReadOnlyList<ImagenInstance> Instances, ImagenParameters Parameters);

    private sealed record ImagenInstance(string Prompt);

    private sealed record ImagenParameters(
        int SampleCount, string? AspectRatio, string? PersonGeneration, string? SampleImageSize, bool IncludeRaiReason, ImagenOutputOptions? OutputOptions);

    private sealed record ImagenOutputOptions(string MimeType);

    private sealed record ImagenResponse(List<ImagenPrediction>? Predictions);

    private sealed record ImagenPrediction(string? BytesBase64Encoded, string? MimeType, string? RaiFilteredReason);

    private sealed record GeminiRequest(IReadOnlyList<GeminiContent> Contents, GeminiGenerationConfig GenerationConfig);

    private sealed record GeminiContent(IReadOnlyList<GeminiPart>? Parts);

    private sealed record GeminiPart(string? Text = null, GeminiBlob? InlineData = null);

    private sealed record GeminiBlob(string? MimeType, string Data);

    private sealed record GeminiGenerationConfig(IReadOnlyList<string> ResponseModalities, GeminiImageConfig ImageConfig);

    private sealed record GeminiImageConfig(string? AspectRatio);

    private sealed record GeminiResponse(List<GeminiCandidate>? Candidates, GeminiPromptFeedback? PromptFeedback, string? ModelVersion);

    private sealed record GeminiCandidate(GeminiContent? Content, string? FinishReason, string? FinishMessage);

    private sealed record GeminiPromptFeedback(string? BlockReason, string? BlockReasonMessage);
}
