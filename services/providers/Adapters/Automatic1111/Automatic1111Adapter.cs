using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Automatic1111;

/// <summary>
/// A self-hosted Stable Diffusion web UI (AUTOMATIC1111) started with <c>--api</c>: <c>POST sdapi/v1/txt2img</c>, or
/// <c>sdapi/v1/img2img</c> when the job brings an input image. The whole batch is one call (<c>batch_size</c>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Its one model, <c>default</c>, is whatever checkpoint the server has loaded.</item>
/// <item>No key: the server is the operator's own. With <c>--api-auth user:password</c>, set
/// <c>Providers:automatic1111:Options:Username</c> and <c>Password</c> (sent as HTTP Basic).</item>
/// <item><c>steps</c>, <c>cfg_scale</c>, <c>sampler_name</c> and <c>denoising_strength</c> come from the job's parameters,
/// else from <c>Options:Steps</c>, <c>CfgScale</c>, <c>Sampler</c>, <c>DenoisingStrength</c>, else 20, 7, the server's
/// default sampler and 0.75.</item>
/// <item>Results come back inline as base64, so nothing is downloaded from the server and no URL policy is involved;
/// input images given as URLs are downloaded here (with the public-address checks) and sent inline, because the
/// web UI fetches URLs only when its operator allows it.</item>
/// <item>The web UI puts a grid of the batch first when it makes more than one image; only the images themselves are kept.</item>
/// <item>A slow server (a CPU, a large checkpoint) needs a longer <c>Providers:automatic1111:Timeout</c> than the default 2 minutes.</item>
/// </list>
/// </remarks>
public sealed class Automatic1111Adapter(IHttpClientFactory http, ResultImageFetcher fetcher, IOptionsMonitor<ProviderSettings> settings) : IImageProviderAdapter
{
    public const string Id = "automatic1111";
    public const string Name = "Automatic1111";
    public const string ModelId = "default";
    public const int DefaultSteps = 20;
    public const double DefaultCfgScale = 7;
    public const double DefaultDenoisingStrength = 0.75;

    public static readonly Uri DefaultBaseUrl = new("http://127.0.0.1:7860/");

    public string ProviderId => Id;

    public bool RequiresCredential => false;

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = settings.Get(Id);
        var client = http.CreateClient(Id);
        // Every message names the server, since "cannot be reached" is nearly always a wrong or stopped base URL.
        var server = $"{Name} at {Describe(client.BaseAddress)}";
        var count = Math.Max(1, request.Count);
        var edit = request.InputImages.Count > 0;
        var path = edit ? "sdapi/v1/img2img" : "sdapi/v1/txt2img";
        var body = new GenerationBody(
            request.Prompt,
            request.NegativePrompt ?? string.Empty,
            request.Width,
            request.Height,
            request.Seed,
            BatchSize: count,
            NIter: 1,
            Steps: Integer("steps", "Steps") ?? DefaultSteps,
            CfgScale: Number("cfg_scale", "CfgScale") ?? DefaultCfgScale,
            SamplerName: request.Parameter("sampler_name") ?? options.Option("Sampler"),
            SendImages: true,
            SaveImages: false,
            InitImages: edit ? await InputImagesAsync(request.InputImages, cancellationToken) : null,
            DenoisingStrength: edit ? Number("denoising_strength", "DenoisingStrength") ?? DefaultDenoisingStrength : null);

        using var message = ProviderHttp.JsonRequest(HttpMethod.Post, path, body);
        if (options.Option("Username") is { } username)
        {
            var pair = Encoding.UTF8.GetBytes($"{username}:{options.Option("Password") ?? string.Empty}");
            message.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(pair));
        }

        using var response = await client.SendToProviderAsync(message, server, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw MapError(await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken), server, path);
        }

        var answer = await response.ReadJsonAsync<Answer>(server, cancellationToken);
        var images = (answer.Images ?? []).Select(image => ImageInspector.FromBase64(image)).ToList();
        if (images.Count == 0)
        {
            throw ProviderException.ProviderUnavailable($"{server} answered without any image.");
        }

        return new ProviderResult(string.IsNullOrWhiteSpace(request.Model) ? ModelId : request.Model, PickBatch(images, request.Width, request.Height, count));

        int? Integer(string parameter, string option) =>
            (request.Parameter(parameter) ?? options.Option(option)) is { } value
                ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number
                  : throw ProviderException.InvalidRequest($"{parameter} is '{value}', which is not a whole number.")
                : null;

        double? Number(string parameter, string option) =>
            (request.Parameter(parameter) ?? options.Option(option)) is { } value
                ? double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
                  : throw ProviderException.InvalidRequest($"{parameter} is '{value}', which is not a number.")
                : null;
    }

    /// <summary>
    /// The batch's own images: those of the size asked for, else everything after the grid the web UI puts first
    /// (its "return grid" setting) when there are more images than asked for.
    /// </summary>
    private static IReadOnlyList<ProviderImage> PickBatch(IReadOnlyList<ProviderImage> images, int width, int height, int count)
    {
        var exact = images.Where(i => i.Width == width && i.Height == height).ToList();
        if (exact.Count >= count)
        {
            return exact.Take(count).ToList();
        }

        return images.Skip(images.Count > count ? 1 : 0).Take(count).ToList();
    }

    private async Task<List<string>> InputImagesAsync(IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        var encoded = new List<string>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    // Checked here so a broken image is the caller's invalid_request, not a crash on the server; sent as the
                    // data URI it is, which the web UI decodes.
                    ImageInspector.FromBase64(input);
                }
                catch (ProviderException ex)
                {
                    throw ProviderException.InvalidRequest($"Input image {i + 1} is not a readable image.", ex);
                }

                encoded.Add(input);
                continue;
            }

            if (!Uri.TryCreate(input, UriKind.Absolute, out var url))
            {
                throw ProviderException.InvalidRequest($"Input image {i + 1} is neither a URL nor a data URI.");
            }

            ProviderImage image;
            try
            {
                image = await fetcher.FetchAsync(url, $"{Name} (input image {i + 1})", cancellationToken);
            }
            catch (ProviderException ex) when (ex.Code != ErrorCodes.Timeout)
            {
                // A private address, a 404 or something that is not an image: the caller gave a URL that cannot be used.
                throw ProviderException.InvalidRequest($"Input image {i + 1} could not be used: {ex.Message}", ex);
            }

            await using var content = await image.OpenReadAsync(cancellationToken);
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken);
            encoded.Add(Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length));
        }

        return encoded;
    }

    /// <summary>
    /// The web UI's failures: FastAPI's 422 <c>{"detail":[{"loc","msg","type"}]}</c>, 401 from <c>--api-auth</c>, a bare
    /// 404 when it runs without <c>--api</c>, and 500 <c>{"error","errors"}</c> for exceptions (CUDA out of memory, …).
    /// </summary>
    private static ProviderException MapError(ProviderErrorResponse error, string server, string path)
    {
        var status = (int)error.StatusCode;
        var said = error.Message.Length == 0 ? string.Empty : $": {error.Message}";
        return status switch
        {
            401 or 403 => ProviderException.Authentication(
                $"{server} refused the username and password (HTTP {status}){said}. Set {ProviderSettings.SectionFor(Id)}:Options:Username and Password to the server's --api-auth."),
            404 when error.Message is "" or "Not Found" => ProviderException.ProviderUnavailable(
                $"{server} has no API at /{path} (HTTP 404): start the web UI with --api."),
            422 => ProviderException.InvalidRequest($"{server} rejected the request (HTTP 422): {ValidationErrors(error.Body) ?? error.Message}"),
            >= 500 when ServerError(error.Body) is { } crash => ProviderException.ProviderUnavailable($"{server} failed (HTTP {status}): {crash}", error.RetryAfter),
            _ => ProviderErrorMapper.Map(server, error),
        };
    }

    private static string? ValidationErrors(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var problems = detail.EnumerateArray()
                .Where(d => d.ValueKind == JsonValueKind.Object)
                .Select(d =>
                {
                    var location = d.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array
                        ? string.Join('.', loc.EnumerateArray().Skip(1).Select(l => l.ToString()))
                        : null;
                    var text = d.TryGetProperty("msg", out var msg) ? msg.GetString() : null;
                    return string.IsNullOrEmpty(location) ? text : $"{location}: {text}";
                })
                .Where(p => !string.IsNullOrWhiteSpace(p))
                .ToList();
            return problems.Count == 0 ? null : ProviderMessage.Clean(string.Join("; ", problems));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? ServerError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var type = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            var text = root.TryGetProperty("errors", out var x) && x.ValueKind == JsonValueKind.String ? x.GetString() : null;
            var combined = (type, text) switch
            {
                ({ Length: > 0 }, { Length: > 0 }) => $"{type}: {text}",
                ({ Length: > 0 }, _) => type,
                (_, { Length: > 0 }) => text,
                _ => null,
            };
            return combined is null ? null : ProviderMessage.Clean(combined);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Scheme, host, port and path only: a base URL may carry user:password.
    private static string Describe(Uri? baseAddress) =>
        baseAddress is null ? "(no base URL)" : baseAddress.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private sealed record GenerationBody(
        string Prompt,
        string NegativePrompt,
        int Width,
        int Height,
        long Seed,
        int BatchSize,
        int NIter,
        int Steps,
        double CfgScale,
        string? SamplerName,
        bool SendImages,
        bool SaveImages,
        List<string>? InitImages,
        double? DenoisingStrength);

    private sealed record Answer(List<string>? Images, string? Info);
}
