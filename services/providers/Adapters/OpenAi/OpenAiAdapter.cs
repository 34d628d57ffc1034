using System.Globalization;
using System.Net.Http.Headers;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.OpenAi;

/// <summary>
/// OpenAI Images: GPT Image models (<c>gpt-image-1</c>) generate with <c>POST images/generations</c> and edit with
/// <c>POST images/edits</c> (multipart, repeated <c>image[]</c> parts); DALL·E 3 generates one image per call, so a job
/// for several images makes several calls. Answers are base64 (GPT Image always; DALL·E is asked for <c>b64_json</c>),
/// and URL answers (some OpenAI-compatible proxies ignore <c>response_format</c>) are downloaded.
/// </summary>
/// <remarks>
/// Options (<c>Providers:openai:Options:*</c>): <c>Quality</c> is the GPT Image quality when the job names none
/// (<c>low|medium|high|auto</c>, default <c>medium</c>, the quality the catalog prices); <c>Moderation</c>
/// (<c>auto|low</c>) is sent to GPT Image when set. Provider-native job parameters <c>size</c>, <c>quality</c>,
/// <c>background</c>, <c>moderation</c>, <c>output_compression</c> (GPT Image) and <c>style</c> (DALL·E 3) are sent as given.
/// </remarks>
public sealed class OpenAiAdapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings) : IImageProviderAdapter
{
    public const string Id = "openai";
    public const string Name = "OpenAI";
    public const string DefaultModel = "gpt-image-1";
    public const string DefaultGptImageQuality = "medium";
    public const string DefaultDallEQuality = "standard";
    public const string QualityOption = "Quality";
    public const string ModerationOption = "Moderation";

    /// <summary>GPT Image takes at most this many images to edit in one call.</summary>
    public const int MaxInputImages = 16;

    public static readonly Uri DefaultBaseUrl = new("https://api.openai.com/v1/");

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    /// <summary>DALL·E models speak the older dialect: <c>response_format</c>, <c>style</c>, <c>standard|hd</c>, one image per call for dall-e-3.</summary>
    public static bool IsDallE(string model) => model.StartsWith("dall-e", StringComparison.OrdinalIgnoreCase);

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        var model = string.IsNullOrWhiteSpace(request.Model) ? DefaultModel : request.Model.Trim();
        var client = http.CreateClient(Id);

        if (IsDallE(model))
        {
            if (request.InputImages.Count > 0)
            {
                throw ProviderException.InvalidRequest($"{model} cannot edit images or start from one; use {DefaultModel} for image input.");
            }

            return await GenerateWithDallEAsync(client, key, model, request, cancellationToken);
        }

        var options = settings.Get(Id);
        return request.InputImages.Count > 0
            ? await EditWithGptImageAsync(client, key, model, request, options, cancellationToken)
            : await GenerateWithGptImageAsync(client, key, model, request, options, cancellationToken);
    }

    private async Task<ProviderResult> GenerateWithGptImageAsync(
        HttpClient client, string key, string model, ProviderRequest request, ProviderSettings options, CancellationToken cancellationToken)
    {
        var body = new GptImageGeneration(
            model, request.Prompt, request.Count, Size(request), GptImageQuality(request, options), Format(request.OutputFormat),
            request.Parameter("background"), request.Parameter("moderation") ?? options.Option(ModerationOption), OutputCompression(request));
        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, "images/generations", body).WithBearer(key);
        var answer = await SendAsync(client, message, key, cancellationToken);
        return new ProviderResult(model, await ImagesAsync(answer, cancellationToken), OpenAiPricing.FromUsage(model, answer.Usage, sentImages: false));
    }

    private async Task<ProviderResult> EditWithGptImageAsync(
        HttpClient client, string key, string model, ProviderRequest request, ProviderSettings options, CancellationToken cancellationToken)
    {
        if (request.InputImages.Count > MaxInputImages)
        {
            throw ProviderException.InvalidRequest($"{model} edits at most {MaxInputImages} images at once; {request.InputImages.Count} were given.");
        }

        using var form = new MultipartFormDataContent();
        void Field(string name, string? value)
        {
            if (value is not null)
            {
                form.Add(new StringContent(value), name);
            }
        }

        Field("model", model);
        Field("prompt", request.Prompt);
        Field("n", request.Count.ToString(CultureInfo.InvariantCulture));
        Field("size", Size(request));
        Field("quality", GptImageQuality(request, options));
        Field("output_format", Format(request.OutputFormat));
        Field("background", request.Parameter("background"));
        Field("moderation", request.Parameter("moderation") ?? options.Option(ModerationOption));
        Field("output_compression", OutputCompression(request)?.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < request.InputImages.Count; i++)
        {
            var (bytes, contentType) = await LoadInputImageAsync(request.InputImages[i], i + 1, cancellationToken);
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            // The multipart spelling of an array, as OpenAI's own SDKs send several images.
            form.Add(part, "image[]", $"image-{i + 1}.{contentType["image/".Length..]}");
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, "images/edits") { Content = form }.WithBearer(key);
        var answer = await SendAsync(client, message, key, cancellationToken);
        return new ProviderResult(model, await ImagesAsync(answer, cancellationToken), OpenAiPricing.FromUsage(model, answer.Usage, sentImages: true));
    }

    private async Task<ProviderResult> GenerateWithDallEAsync(HttpClient client, string key, string model, ProviderRequest request, CancellationToken cancellationToken)
    {
        var size = Size(request);
        var quality = request.Parameter("quality") ?? DefaultDallEQuality;
        var images = new List<ProviderImage>(request.Count);
        decimal? cost = 0m;
        // One call at a time: DALL·E 3 answers n=1 only, its images-per-minute limits are low, and stopping at the
        // first failure avoids paying for more images of a job that fails anyway.
        for (var i = 0; i < request.Count; i++)
        {
            var body = new DallEGeneration(model, request.Prompt, 1, size, quality, request.Parameter("style"), "b64_json");
            using var message = ProviderHttp.JsonRequest(HttpMethod.Post, "images/generations", body).WithBearer(key);
            var answer = await SendAsync(client, message, key, cancellationToken);
            images.AddRange(await ImagesAsync(answer, cancellationToken));
            cost += OpenAiPricing.DallE3Image(quality, size);
        }

        return new ProviderResult(model, images, string.Equals(model, "dall-e-3", StringComparison.OrdinalIgnoreCase) ? cost : null);
    }

    private static async Task<ImagesAnswer> SendAsync(HttpClient client, HttpRequestMessage message, string key, CancellationToken cancellationToken)
    {
        using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await OpenAiErrors.ReadAsync(response, key, cancellationToken);
        }

        return await response.ReadJsonAsync<ImagesAnswer>(Name, cancellationToken);
    }

    private async Task<List<ProviderImage>> ImagesAsync(ImagesAnswer answer, CancellationToken cancellationToken)
    {
        var images = new List<ProviderImage>();
        foreach (var item in answer.Data ?? [])
        {
            if (item.B64Json is { Length: > 0 } base64)
            {
                images.Add(ImageInspector.FromBase64(base64));
            }
            else if (Uri.TryCreate(item.Url, UriKind.Absolute, out var url))
            {
                images.Add(await fetcher.FetchAsync(url, Name, cancellationToken));
            }
            else
            {
                throw ProviderException.ProviderUnavailable($"{Name} answered with an image that has neither b64_json nor a URL.");
            }
        }

        return images;
    }

    /// <summary>The bytes of a caller's input image: a data URI decoded, an https URL fetched (internal addresses refused); png, jpeg or webp.</summary>
    private async Task<(byte[] Bytes, string ContentType)> LoadInputImageAsync(string input, int number, CancellationToken cancellationToken)
    {
        ProviderImage image;
        try
        {
            if (input.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            {
                image = ImageInspector.FromBase64(input);
            }
            else if (Uri.TryCreate(input, UriKind.Absolute, out var url) && url.Scheme is "https" or "http")
            {
                image = await fetcher.FetchAsync(url, Name, cancellationToken);
            }
            else
            {
                throw ProviderException.InvalidRequest($"Input image {number} is neither an http(s) URL nor a base64 data URI.");
            }
        }
        catch (ProviderException ex) when (ex.Code == ErrorCodes.Internal)
        {
            // Not an image, too large, a local address: the caller's input is at fault, and no retry changes it.
            throw ProviderException.InvalidRequest($"Input image {number} cannot be used: {ex.Message}", ex);
        }

        if (image.ContentType is not ("image/png" or "image/jpeg" or "image/webp"))
        {
            throw ProviderException.InvalidRequest($"Input image {number} is {image.ContentType}; {Name} edits png, jpeg and webp images.");
        }

        await using var stream = await image.OpenReadAsync(cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return (buffer.ToArray(), image.ContentType);
    }

    private static string Size(ProviderRequest request) =>
        request.Parameter("size") ?? string.Create(CultureInfo.InvariantCulture, $"{request.Width}x{request.Height}");

    private static string GptImageQuality(ProviderRequest request, ProviderSettings options) =>
        request.Parameter("quality") ?? options.Option(QualityOption) ?? DefaultGptImageQuality;

    private static int? OutputCompression(ProviderRequest request) =>
        request.Parameter("output_compression") switch
        {
            null => null,
            var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= 100 => value,
            var text => throw ProviderException.InvalidRequest($"output_compression must be a whole number from 0 to 100, not '{text}'."),
        };

    private static string Format(ImageOutputFormat format) => format switch
    {
        ImageOutputFormat.Jpeg => "jpeg",
        ImageOutputFormat.Webp => "webp",
        _ => "png",
    };

    private sealed record GptImageGeneration(
        string Model, string Prompt, int N, string Size, string Quality, string OutputFormat, string? Background, string? Moderation, int? OutputCompression);

    private sealed record DallEGeneration(string Model, string Prompt, int N, string Size, string Quality, string? Style, string ResponseFormat);

    private sealed record ImagesAnswer(List<ImageItem>? Data, OpenAiUsage? Usage);

    private sealed record ImageItem(string? B64Json, string? Url, string? RevisedPrompt);
}
