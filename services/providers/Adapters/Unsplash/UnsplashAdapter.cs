using System.Globalization;
using System.Net.Http.Headers;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Unsplash;

/// <summary>
/// Stock photos from Unsplash as a fallback when generation is not wanted or not possible: nothing is generated.
/// The prompt is the search query of <c>GET photos/random</c> (orientation from the requested size, the strict
/// <c>content_filter=high</c>, <c>count</c> = images asked for); each photo is downloaded from Unsplash's image CDN
/// cropped to the requested size and format, carries the credit Unsplash requires, and is reported to Unsplash
/// with the download-tracking call its API guidelines require.
/// </summary>
/// <remarks>
/// The size is taken as any WIDTHxHEIGHT (the catalog's range): the orientation filter is derived from it and the
/// CDN's imgix parameters (<c>w</c>, <c>h</c>, <c>fit=crop</c>, <c>fm</c>) give the exact size, so callers get what they
/// asked for rather than one of three buckets. A failed tracking call is logged and the photo kept: the caller's
/// image should not be lost over a statistics ping. Tracking goes through the configured base URL (the path of
/// <c>links.download_location</c>), so the key is only ever sent to the API the operator configured.
/// </remarks>
public sealed partial class UnsplashAdapter(
    IHttpClientFactory http,
    ResultImageFetcher fetcher,
    IOptionsMonitor<ProviderSettings> settings,
    ILogger<UnsplashAdapter> logger) : IImageProviderAdapter
{
    public const string Id = "unsplash";
    public const string ModelId = "stock-photo";

    /// <summary>The API's own limit for <c>count</c>.</summary>
    public const int MaxCount = 30;

    /// <summary>Overrides the derived orientation when set (a catalog that lists sizes could send it).</summary>
    public const string OrientationParameter = "orientation";

    /// <summary>The <c>utm_source</c> on links back to Unsplash; Unsplash asks for the application's name. Option <c>AppName</c>.</summary>
    public const string DefaultAppName = "imagegen";

    /// <summary>Sides within this ratio of each other are "squarish"; beyond it, landscape or portrait.</summary>
    public const double SquarishTolerance = 1.2;

    public static readonly Uri DefaultBaseUrl = new("https://api.unsplash.com/");

    internal const string Name = "Unsplash";

    // imgix parameters this adapter sets; any already on a URL are replaced, not doubled.
    private static readonly string[] SizingParameters = ["w", "h", "fit", "crop", "fm", "q", "auto"];

    public string ProviderId => Id;

    public bool RequiresCredential => true;

    public async Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.RequireCredential();
        if (request.Count is < 1 or > MaxCount)
        {
            throw ProviderException.InvalidRequest($"{Name} returns 1 to {MaxCount} photos per request; {request.Count} was asked for.");
        }

        if (request.Width <= 0 || request.Height <= 0)
        {
            throw ProviderException.InvalidRequest($"{Name} needs a positive size; {request.Width}x{request.Height} was asked for.");
        }

        var orientation = request.Parameter(OrientationParameter) ?? OrientationFor(request.Width, request.Height);
        var query = QueryHelpers.AddQueryString("photos/random", new Dictionary<string, string?>
        {
            ["query"] = request.Prompt,
            ["orientation"] = orientation,
            ["content_filter"] = "high",
            ["count"] = request.Count.ToString(CultureInfo.InvariantCulture),
        });

        var client = http.CreateClient(Id);
        List<Photo> photos;
        using (var message = Authorized(new HttpRequestMessage(HttpMethod.Get, query), key))
        using (var response = await client.SendToProviderAsync(message, Name, cancellationToken))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await MapErrorAsync(response, request.Prompt, key, cancellationToken);
            }

            photos = await response.ReadJsonAsync<List<Photo>>(Name, cancellationToken, ProviderHttp.SnakeCaseJson);
        }

        if (photos.Count == 0)
        {
            throw NoMatch(request.Prompt, detail: null);
        }

        var appName = settings.Get(Id).Option("AppName") ?? DefaultAppName;
        var images = new List<ProviderImage>(Math.Min(photos.Count, request.Count));
        foreach (var photo in photos.Take(request.Count))
        {
            var url = SizedUrl(photo, request.Width, request.Height, request.OutputFormat);
            images.Add(await fetcher.FetchAsync(new ImageFetchRequest(url, Name) { Attribution = Attribution(photo, appName) }, cancellationToken));
            await TrackDownloadAsync(client, photo, key, cancellationToken);
        }

        if (images.Count < request.Count)
        {
            LogFewerPhotos(images.Count, request.Count, request.JobId);
        }

        // Free within the API's rate limits.
        return new ProviderResult(ModelId, images, 0m);
    }

    /// <summary><c>landscape</c>, <c>portrait</c> or <c>squarish</c> for a requested size.</summary>
    public static string OrientationFor(int width, int height)
    {
        var ratio = (double)width / height;
        return ratio >= SquarishTolerance ? "landscape" : ratio <= 1 / SquarishTolerance ? "portrait" : "squarish";
    }

    /// <summary>
    /// The photo's CDN URL cropped to exactly <paramref name="width"/>x<paramref name="height"/> in the asked format.
    /// <c>urls.raw</c> is the original with no sizing applied, so it is preferred over the pre-sized variants.
    /// </summary>
    public static Uri SizedUrl(Photo photo, int width, int height, ImageOutputFormat format)
    {
        ArgumentNullException.ThrowIfNull(photo);
        var source = photo.Urls?.Raw ?? photo.Urls?.Full ?? photo.Urls?.Regular;
        if (source is null || !Uri.TryCreate(source, UriKind.Absolute, out var url))
        {
            throw ProviderException.ProviderUnavailable($"{Name} returned photo {photo.Id} without an image URL.");
        }

        var query = QueryHelpers.ParseQuery(url.Query)
            .Where(p => !SizingParameters.Contains(p.Key, StringComparer.OrdinalIgnoreCase))
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)))
            .ToList();
        query.Add(new("w", width.ToString(CultureInfo.InvariantCulture)));
        query.Add(new("h", height.ToString(CultureInfo.InvariantCulture)));
        query.Add(new("fit", "crop"));
        // Crops around the busiest part of the photo rather than its centre.
        query.Add(new("crop", "entropy"));
        query.Add(new("fm", format switch { ImageOutputFormat.Png => "png", ImageOutputFormat.Webp => "webp", _ => "jpg" }));
        if (format != ImageOutputFormat.Png)
        {
            query.Add(new("q", "85"));
        }

        return new Uri(QueryHelpers.AddQueryString(url.GetLeftPart(UriPartial.Path), query));
    }

    /// <summary>"Photo by Name on Unsplash", with links back to the photographer and the photo carrying Unsplash's referral parameters.</summary>
    public static ImageAttribution Attribution(Photo photo, string appName)
    {
        ArgumentNullException.ThrowIfNull(photo);
        var name = photo.User?.Name is { Length: > 0 } n ? n : photo.User?.Username ?? "an Unsplash photographer";
        return new ImageAttribution(
            $"Photo by {name} on Unsplash",
            name,
            WithReferral(photo.User?.Links?.Html, appName),
            WithReferral(photo.Links?.Html, appName));
    }

    private static string? WithReferral(string? link, string appName) =>
        link is null || !Uri.TryCreate(link, UriKind.Absolute, out _)
            ? null
            : QueryHelpers.AddQueryString(link, new Dictionary<string, string?> { ["utm_source"] = appName, ["utm_medium"] = "referral" });

    private async Task TrackDownloadAsync(HttpClient client, Photo photo, string key, CancellationToken cancellationToken)
    {
        if (TrackingPath(client.BaseAddress, photo.Links?.DownloadLocation) is not { } path)
        {
            LogTrackingFailed(photo.Id, "the photo has no download_location");
            return;
        }

        try
        {
            using var message = Authorized(new HttpRequestMessage(HttpMethod.Get, path), key);
            using var response = await client.SendToProviderAsync(message, Name, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
                LogTrackingFailed(photo.Id, $"HTTP {(int)response.StatusCode} {ProviderMessage.Clean(error.Message, key)}".TrimEnd());
            }
        }
        catch (ProviderException ex)
        {
            LogTrackingFailed(photo.Id, ProviderMessage.Clean(ex.Message, key));
        }
    }

    /// <summary>
    /// <c>download_location</c> (<c>https://api.unsplash.com/photos/{id}/download?ixid=…</c>) relative to the configured
    /// base URL: as it is when it lies under the base, else by its path (the base is a proxy of the API).
    /// </summary>
    public static string? TrackingPath(Uri? baseAddress, string? downloadLocation)
    {
        if (string.IsNullOrWhiteSpace(downloadLocation) || !Uri.TryCreate(downloadLocation, UriKind.RelativeOrAbsolute, out var location))
        {
            return null;
        }

        if (!location.IsAbsoluteUri)
        {
            return downloadLocation.TrimStart('/');
        }

        if (location.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var absolute = location.AbsoluteUri;
        return baseAddress is not null && absolute.StartsWith(baseAddress.AbsoluteUri, StringComparison.OrdinalIgnoreCase)
            ? absolute[baseAddress.AbsoluteUri.Length..]
            : location.PathAndQuery.TrimStart('/');
    }

    private static HttpRequestMessage Authorized(HttpRequestMessage message, string key)
    {
        message.Headers.Authorization = new AuthenticationHeaderValue("Client-ID", key);
        message.Headers.TryAddWithoutValidation("Accept-Version", "v1");
        return message;
    }

    private static async Task<ProviderException> MapErrorAsync(HttpResponseMessage response, string prompt, string key, CancellationToken cancellationToken)
    {
        // Unsplash answers an exhausted hourly quota with a plain-text 403, not a 429.
        var exhausted = response.Headers.TryGetValues("X-Ratelimit-Remaining", out var remaining) && remaining.FirstOrDefault()?.Trim() == "0";
        var error = await ProviderErrorMapper.ReadErrorAsync(response, cancellationToken);
        var said = ProviderMessage.Clean(error.Message, key);
        var code = (int)error.StatusCode;
        if (code == 403 && (exhausted || said.Contains("Rate Limit Exceeded", StringComparison.OrdinalIgnoreCase)))
        {
            return ProviderException.RateLimited(
                $"{Name} is rate limiting requests (HTTP 403): {(said.Length == 0 ? "Rate Limit Exceeded" : said)}. The limit is per application and hour.",
                error.RetryAfter);
        }

        return code == 404 ? NoMatch(prompt, said) : ProviderErrorMapper.Map(Name, error.StatusCode, said, error.RetryAfter);
    }

    private static ProviderException NoMatch(string prompt, string? detail)
    {
        var query = prompt.Length > 80 ? string.Concat(prompt.AsSpan(0, 79), "…") : prompt;
        return ProviderException.InvalidRequest(
            $"No stock photo matches \"{query}\" on {Name}{(string.IsNullOrEmpty(detail) ? "." : $" ({detail})")} A shorter prompt of a few keywords finds more.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unsplash download tracking for photo {PhotoId} failed; the photo is kept: {Reason}")]
    private partial void LogTrackingFailed(string photoId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unsplash had {Returned} of {Requested} photos for job {JobId}")]
    private partial void LogFewerPhotos(int returned, int requested, Guid jobId);

    /// <summary>The parts of Unsplash's photo object this adapter reads.</summary>
    public sealed record Photo(string Id, int Width, int Height, PhotoUrls? Urls, PhotoLinks? Links, PhotoUser? User);

    public sealed record PhotoUrls(string? Raw, string? Full, string? Regular);

    public sealed record PhotoLinks(string? Html, string? DownloadLocation);

    public sealed record PhotoUser(string? Name, string? Username, UserLinks? Links);

    public sealed record UserLinks(string? Html);
}
