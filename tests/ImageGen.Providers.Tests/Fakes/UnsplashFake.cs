using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// The Unsplash API and its image CDN on one server: <c>GET /photos/random</c> (Client-ID auth, the query,
/// orientation, content_filter and count checked as the API checks them), <c>GET /photos/{id}/download</c> (the
/// download-tracking endpoint, also Client-ID), and <c>GET /images/{id}</c>, the imgix CDN, which renders a real
/// image of the requested <c>w</c>x<c>h</c> in the requested <c>fm</c>. Errors in Unsplash's <c>{"errors":[…]}</c>
/// shape, and its plain-text 403 "Rate Limit Exceeded".
/// </summary>
/// <remarks>
/// The query picks the answer: <c>nothing-matches</c> (404), <c>rate-limit</c>, <c>suspended</c> (403),
/// <c>outage</c> (503), <c>few</c> (one photo whatever the count), <c>untracked</c> (photos whose tracking endpoint
/// answers 404).
/// </remarks>
public sealed class UnsplashFake
{
    public const string AccessKey = "Xz9Qw7Lk2Vb8Nm4Rt6Yp1Hs3Df5Gj0Ka7Lc9Ve2Bn4M";
    public const string PhotographerName = "Ann Example";
    public const string PhotographerPage = "https://unsplash.com/@annexample";

    private static readonly string[] Orientations = ["landscape", "portrait", "squarish"];

    public void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/photos/random", Random);
        app.MapGet("/photos/{id}/download", Track);
        app.MapGet("/images/{id}", Image);
    }

    public static string PhotoPage(string id) => $"https://unsplash.com/photos/{id}";

    private static IResult Random(HttpRequest http)
    {
        if (Unauthorized(http) is { } denied)
        {
            return denied;
        }

        var query = http.Query["query"].ToString();
        var orientation = http.Query["orientation"].ToString();
        if (orientation.Length > 0 && !Orientations.Contains(orientation))
        {
            return Errors(400, "orientation must be one of landscape, portrait or squarish");
        }

        var filter = http.Query["content_filter"].ToString();
        if (filter.Length > 0 && filter is not ("low" or "high"))
        {
            return Errors(400, "content_filter must be low or high");
        }

        var count = 1;
        if (http.Query.ContainsKey("count") && (!int.TryParse(http.Query["count"], CultureInfo.InvariantCulture, out count) || count is < 1 or > 30))
        {
            return Errors(400, "count must be between 1 and 30");
        }

        if (query.Contains("rate-limit", StringComparison.Ordinal))
        {
            http.HttpContext.Response.Headers["X-Ratelimit-Limit"] = "50";
            http.HttpContext.Response.Headers["X-Ratelimit-Remaining"] = "0";
            return Results.Text("Rate Limit Exceeded", "text/plain", statusCode: 403);
        }

        if (query.Contains("suspended", StringComparison.Ordinal))
        {
            return Errors(403, "This application has been suspended for violating the API terms.");
        }

        if (query.Contains("outage", StringComparison.Ordinal))
        {
            return Errors(503, "Service Unavailable");
        }

        if (query.Contains("nothing-matches", StringComparison.Ordinal))
        {
            return Errors(404, "No photos found.");
        }

        var origin = $"{http.Scheme}://{http.Host}";
        var prefix = query.Contains("untracked", StringComparison.Ordinal) ? "gone" : "photo";
        var photos = Enumerable.Range(1, query.Contains("few", StringComparison.Ordinal) ? 1 : count).Select(i =>
        {
            var id = $"{prefix}{i}";
            var ixid = $"M3w{i}fDB8MXxyYW5kb20";
            return new
            {
                id,
                width = 6000,
                height = 4000,
                description = (string?)null,
                alt_description = "a photo",
                urls = new
                {
                    raw = $"{origin}/images/{id}?ixid={ixid}&ixlib=rb-4.1.0",
                    full = $"{origin}/images/{id}?crop=entropy&cs=srgb&fm=jpg&ixid={ixid}&ixlib=rb-4.1.0&q=85",
                    regular = $"{origin}/images/{id}?crop=entropy&cs=tinysrgb&fit=max&fm=jpg&ixid={ixid}&ixlib=rb-4.1.0&q=80&w=1080",
                    small = $"{origin}/images/{id}?w=400",
                    thumb = $"{origin}/images/{id}?w=200",
                },
                links = new
                {
                    self = $"{origin}/photos/{id}",
                    html = PhotoPage(id),
                    download = $"https://unsplash.com/photos/{id}/download?ixid={ixid}",
                    download_location = $"{origin}/photos/{id}/download?ixid={ixid}",
                },
                user = new
                {
                    id = "u1",
                    username = "annexample",
                    name = PhotographerName,
                    links = new { self = $"{origin}/users/annexample", html = PhotographerPage },
                },
            };
        });
        return Results.Json(photos.ToList());
    }

    private static IResult Track(string id, HttpRequest http)
    {
        if (Unauthorized(http) is { } denied)
        {
            return denied;
        }

        return id.StartsWith("gone", StringComparison.Ordinal)
            ? Errors(404, "Couldn't find Photo")
            : Results.Json(new { url = $"{http.Scheme}://{http.Host}/images/{id}?ixid={http.Query["ixid"]}" });
    }

    private static IResult Image(string id, HttpRequest http)
    {
        var width = int.TryParse(http.Query["w"], CultureInfo.InvariantCulture, out var w) ? w : 600;
        var height = int.TryParse(http.Query["h"], CultureInfo.InvariantCulture, out var h) ? h : 400;
        return http.Query["fm"].ToString() switch
        {
            "png" => Results.Bytes(TestImages.Png(width, height), "image/png"),
            "webp" => Results.Bytes(TestImages.Webp(width, height), "image/webp"),
            _ => Results.Bytes(TestImages.Jpeg(width, height), "image/jpeg"),
        };
    }

    private static IResult? Unauthorized(HttpRequest http) =>
        http.Headers.Authorization.ToString() == $"Client-ID {AccessKey}" ? null : Errors(401, "OAuth error: The access token is invalid");

    private static IResult Errors(int status, string message) => Results.Json(new { errors = new[] { message } }, statusCode: status);
}
