using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Unsplash;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Adapters.Unsplash;

public sealed class Finding_stock_photos_on_unsplash : IAsyncLifetime
{
    private UnsplashAdapterHost _unsplash = null!;

    public async Task InitializeAsync() => _unsplash = await UnsplashAdapterHost.StartAsync();

    public async Task DisposeAsync() => await _unsplash.DisposeAsync();

    private static Dictionary<string, string> QueryOf(ReceivedRequest request) =>
        QueryHelpers.ParseQuery(request.Query).ToDictionary(p => p.Key, p => p.Value.ToString());

    [Fact]
    public async Task The_prompt_is_the_search_query_of_a_random_photo_request_with_the_client_id()
    {
        await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("misty pine forest & lake", count: 2));

        var search = Assert.Single(_unsplash.Searches);
        Assert.Equal("GET", search.Method);
        Assert.Equal($"Client-ID {UnsplashFake.AccessKey}", search.Header("Authorization"));
        Assert.Equal("v1", search.Header("Accept-Version"));
        var query = QueryOf(search);
        Assert.Equal("misty pine forest & lake", query["query"]);
        Assert.Equal("landscape", query["orientation"]);
        Assert.Equal("high", query["content_filter"]);
        Assert.Equal("2", query["count"]);
    }

    [Theory]
    [InlineData(1024, 1536, "portrait")]
    [InlineData(1024, 1024, "squarish")]
    [InlineData(1100, 1000, "squarish")]
    [InlineData(1920, 1080, "landscape")]
    public async Task The_orientation_filter_follows_the_requested_size(int width, int height, string orientation)
    {
        await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour", width: width, height: height));

        Assert.Equal(orientation, QueryOf(Assert.Single(_unsplash.Searches))["orientation"]);
    }

    [Theory]
    [InlineData(ImageOutputFormat.Jpeg, "jpg", "image/jpeg")]
    [InlineData(ImageOutputFormat.Webp, "webp", "image/webp")]
    [InlineData(ImageOutputFormat.Png, "png", "image/png")]
    public async Task Each_photo_is_downloaded_cropped_to_the_requested_size_and_format(ImageOutputFormat format, string fm, string contentType)
    {
        var result = await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour", count: 2, width: 640, height: 480, format: format));

        Assert.Equal(2, result.Images.Count);
        Assert.All(result.Images, image => Assert.Equal((contentType, 640, 480), (image.ContentType, image.Width, image.Height)));
        await using (var stream = await result.Images[1].OpenReadAsync(CancellationToken.None))
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            using var decoded = ImageAssert.Decode(copy.ToArray());
            Assert.Equal((640, 480), (decoded.Width, decoded.Height));
        }

        Assert.Equal(["/images/photo1", "/images/photo2"], _unsplash.Downloads.Select(d => d.Path));
        foreach (var download in _unsplash.Downloads)
        {
            var query = QueryOf(download);
            Assert.Equal(("640", "480", "crop", fm), (query["w"], query["h"], query["fit"], query["fm"]));
            // The raw URL's own parameters (ixid identifies the photo to Unsplash) are kept.
            Assert.StartsWith("M3w", query["ixid"]);
            // The CDN is public: the key is never sent there.
            Assert.Null(download.Header("Authorization"));
        }
    }

    [Fact]
    public async Task Every_photo_carries_the_photographers_credit_with_referral_links()
    {
        var result = await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour"));

        var attribution = Assert.Single(result.Images).Attribution!;
        Assert.Equal($"Photo by {UnsplashFake.PhotographerName} on Unsplash", attribution.Text);
        Assert.Equal(UnsplashFake.PhotographerName, attribution.AuthorName);
        Assert.Equal($"{UnsplashFake.PhotographerPage}?utm_source=imagegen&utm_medium=referral", attribution.AuthorUrl);
        Assert.Equal($"{UnsplashFake.PhotoPage("photo1")}?utm_source=imagegen&utm_medium=referral", attribution.SourceUrl);
    }

    [Fact]
    public async Task The_referral_source_is_the_configured_application_name()
    {
        await using var unsplash = await UnsplashAdapterHost.StartAsync(new() { ["Providers:unsplash:Options:AppName"] = "acme_cms" });

        var result = await unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour"));

        Assert.Contains("utm_source=acme_cms", result.Images[0].Attribution!.AuthorUrl);
    }

    [Fact]
    public async Task Each_photo_used_is_reported_to_the_download_tracking_endpoint_with_the_client_id()
    {
        await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour", count: 3));

        var trackings = _unsplash.Trackings;
        Assert.Equal(["/photos/photo1/download", "/photos/photo2/download", "/photos/photo3/download"], trackings.Select(t => t.Path));
        Assert.All(trackings, t =>
        {
            Assert.Equal("GET", t.Method);
            Assert.Equal($"Client-ID {UnsplashFake.AccessKey}", t.Header("Authorization"));
            Assert.Equal("v1", t.Header("Accept-Version"));
            Assert.StartsWith("M3w", QueryOf(t)["ixid"]);
        });
    }

    [Fact]
    public async Task A_failed_tracking_call_is_logged_and_the_photo_kept()
    {
        var result = await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("untracked harbour", count: 2));

        Assert.Equal(2, result.Images.Count);
        Assert.Equal(2, _unsplash.Trackings.Count);
        var warnings = _unsplash.Logs.Lines.Where(l => l.Level == LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w => Assert.Contains("HTTP 404", w.Message));
        Assert.DoesNotContain(_unsplash.Logs.Lines, l => l.Everything.Contains(UnsplashFake.AccessKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stock_photos_cost_nothing_and_name_their_model()
    {
        var result = await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour"));

        Assert.Equal((UnsplashAdapter.ModelId, 0m), (result.Model, result.CostUsd));
    }

    [Fact]
    public async Task When_fewer_photos_match_than_were_asked_for_those_there_are_are_returned()
    {
        var result = await _unsplash.GenerateAsync(UnsplashAdapterHost.Request("few harbours", count: 3));

        Assert.Single(result.Images);
        Assert.Contains(_unsplash.Logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("1 of 3", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://api.unsplash.com/", "https://api.unsplash.com/photos/abc/download?ixid=x1", "photos/abc/download?ixid=x1")]
    [InlineData("https://proxy.example/unsplash/", "https://proxy.example/unsplash/photos/abc/download?ixid=x1", "photos/abc/download?ixid=x1")]
    [InlineData("https://proxy.example/unsplash/", "https://api.unsplash.com/photos/abc/download?ixid=x1", "photos/abc/download?ixid=x1")]
    [InlineData("https://api.unsplash.com/", "/photos/abc/download", "photos/abc/download")]
    [InlineData("https://api.unsplash.com/", "ftp://api.unsplash.com/photos/abc/download", null)]
    [InlineData("https://api.unsplash.com/", null, null)]
    public void Tracking_always_goes_through_the_configured_api_so_the_key_goes_nowhere_else(string baseUrl, string? location, string? path)
    {
        Assert.Equal(path, UnsplashAdapter.TrackingPath(new Uri(baseUrl), location));
    }

    [Fact]
    public void A_pre_sized_url_has_its_sizing_replaced_rather_than_doubled()
    {
        var photo = new UnsplashAdapter.Photo("p", 6000, 4000,
            new UnsplashAdapter.PhotoUrls(null, null, "https://images.unsplash.com/photo-1?crop=entropy&fm=jpg&ixid=abc&q=80&w=1080"), null, null);

        var url = UnsplashAdapter.SizedUrl(photo, 300, 200, ImageOutputFormat.Webp);

        var query = QueryHelpers.ParseQuery(url.Query);
        Assert.Equal(("300", "200", "webp", "abc"), (query["w"].ToString(), query["h"].ToString(), query["fm"].ToString(), query["ixid"].ToString()));
        Assert.Equal("https://images.unsplash.com/photo-1", url.GetLeftPart(UriPartial.Path));
    }
}
