using System.Net;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageGen.Providers.Tests;

public sealed class Fetching_result_images : IAsyncLifetime
{
    private static readonly byte[] Photo = TestImages.Jpeg(120, 80);
    private static readonly byte[] Large = TestImages.Png(300, 300);

    private FakeProviderServer _cdn = null!;
    private FakeProviderServer _elsewhere = null!;
    private int _flaky;

    public async Task InitializeAsync()
    {
        // Somewhere a redirect must not lead: it would answer if it were asked.
        _elsewhere = await FakeProviderServer.StartAsync(app => app.MapGet("/secret.png", () => Results.Bytes(Photo, "image/png")));
        _cdn = await FakeProviderServer.StartAsync(app =>
        {
            app.MapGet("/photo.jpg", () => Results.Bytes(Photo, "image/jpeg"));
            app.MapGet("/mislabelled", () => Results.Bytes(Photo, "application/octet-stream"));
            app.MapGet("/large-with-length", () => Results.Bytes(Large, "image/png"));
            app.MapGet("/large-chunked", async (HttpContext context) =>
            {
                // Written in pieces without a Content-Length: only counting can catch it.
                context.Response.ContentType = "image/png";
                foreach (var piece in Large.Chunk(1000))
                {
                    await context.Response.Body.WriteAsync(piece);
                    await context.Response.Body.FlushAsync();
                }
            });
            app.MapGet("/page.html", () => Results.Text("<html><body>Not found</body></html>", "image/png"));
            app.MapGet("/gone", () => Results.NotFound());
            app.MapGet("/flaky", () => Interlocked.Increment(ref _flaky) <= 2 ? Results.StatusCode(503) : Results.Bytes(Photo, "image/jpeg"));
            app.MapGet("/slow", async (CancellationToken ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
                return Results.Bytes(Photo, "image/jpeg");
            });
            app.MapGet("/hop/{n:int}", (int n) => Results.Redirect(n == 0 ? "/photo.jpg" : $"/hop/{n - 1}"));
            app.MapGet("/to-elsewhere", () => Results.Redirect(_elsewhere.Url("secret.png").ToString()));
            app.MapGet("/to-file", () => Results.Redirect("file:///etc/passwd"));
            app.MapGet("/private-photo.jpg", (HttpRequest request) =>
                request.Headers.Authorization == "Bearer cdn-token" ? Results.Bytes(Photo, "image/jpeg") : Results.Unauthorized());
            app.MapGet("/private-to-elsewhere", () => Results.Redirect(_elsewhere.Url("secret.png").ToString()));
        });
    }

    public async Task DisposeAsync()
    {
        await _cdn.DisposeAsync();
        await _elsewhere.DisposeAsync();
    }

    private ResultImageFetcher Fetcher(long maxBytes = 50L * 1024 * 1024, int retries = 0, TimeSpan? timeout = null, params string[] allowed) =>
        new(new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions
        {
            AllowedHosts = [.. allowed],
            MaxBytes = maxBytes,
            Retries = retries,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        }), TimeProvider.System, NullLogger<ResultImageFetcher>.Instance);

    private ResultImageFetcher CdnAllowed(long maxBytes = 50L * 1024 * 1024, int retries = 0, TimeSpan? timeout = null) =>
        Fetcher(maxBytes, retries, timeout, _cdn.HostAndPort);

    [Fact]
    public async Task An_image_from_an_allowed_host_is_fetched_with_its_real_type_and_size()
    {
        using var fetcher = CdnAllowed();

        var image = await fetcher.FetchAsync(_cdn.Url("mislabelled"), "Acme", CancellationToken.None);

        Assert.Equal(("image/jpeg", 120, 80), (image.ContentType, image.Width, image.Height));
        Assert.Equal(Photo, await TestImages.ReadAsync(image));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.8")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.20")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.251")]
    [InlineData("[::1]")]
    [InlineData("[::]")]
    [InlineData("[fe80::1]")]
    [InlineData("[fc00::1]")]
    [InlineData("[fd12:3456::1]")]
    [InlineData("[ff02::1]")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("[::ffff:169.254.169.254]")]
    [InlineData("localhost")]
    public async Task An_address_on_a_local_or_private_network_is_refused(string host)
    {
        using var fetcher = Fetcher();
        // The cdn's own port: on loopback it would answer, so only the refusal keeps the request from arriving.
        var url = new Uri($"http://{host}:{_cdn.Port}/photo.jpg");

        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(url, "Acme", CancellationToken.None));

        Assert.Equal((ErrorCodes.Internal, false), (error.Code, error.Retryable));
        Assert.Contains("private, loopback or otherwise local address", error.Message);
        Assert.Contains("Providers:Fetch:AllowedHosts", error.Message);
        Assert.Empty(_cdn.Requests);
    }

    [Fact]
    public async Task A_redirect_from_an_allowed_host_to_a_local_address_is_refused()
    {
        using var fetcher = CdnAllowed();

        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_cdn.Url("to-elsewhere"), "Acme", CancellationToken.None));

        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Contains($"127.0.0.1:{_elsewhere.Port}", error.Message);
        Assert.Single(_cdn.RequestsTo("/to-elsewhere"));
        Assert.Empty(_elsewhere.Requests);
    }

    [Fact]
    public async Task Redirects_within_an_allowed_host_are_followed_up_to_three()
    {
        using var fetcher = CdnAllowed();

        var image = await fetcher.FetchAsync(_cdn.Url("hop/2"), "Acme", CancellationToken.None);
        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_cdn.Url("hop/3"), "Acme", CancellationToken.None));

        Assert.Equal(Photo, await TestImages.ReadAsync(image));
        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Contains("redirected more than 3 times", error.Message);
        Assert.Empty(_cdn.RequestsTo("/photo.jpg").Skip(1));
    }

    [Fact]
    public async Task Only_http_and_https_are_fetched_even_after_a_redirect()
    {
        using var fetcher = CdnAllowed();

        var direct = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(new Uri("ftp://files.example.com/a.png"), "Acme", CancellationToken.None));
        var redirected = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_cdn.Url("to-file"), "Acme", CancellationToken.None));

        Assert.Contains("'ftp'", direct.Message);
        Assert.Contains("'file'", redirected.Message);
        Assert.Equal((ErrorCodes.Internal, ErrorCodes.Internal), (direct.Code, redirected.Code));
    }

    [Fact]
    public async Task An_origin_the_adapter_vouches_for_is_fetched_although_it_is_local()
    {
        using var fetcher = Fetcher();
        var selfHosted = new ImageFetchRequest(_cdn.Url("photo.jpg"), "Automatic1111") { AllowedOrigins = [_cdn.Url("sdapi/v1/")] };

        var image = await fetcher.FetchAsync(selfHosted, CancellationToken.None);

        Assert.Equal(Photo, await TestImages.ReadAsync(image));
    }

    [Fact]
    public async Task An_allowed_host_without_a_port_allows_every_port_of_that_host()
    {
        using var fetcher = Fetcher(allowed: "localhost");

        var image = await fetcher.FetchAsync(new Uri($"http://localhost:{_cdn.Port}/photo.jpg"), "Acme", CancellationToken.None);

        Assert.Equal(Photo, await TestImages.ReadAsync(image));
    }

    [Fact]
    public async Task An_allowed_host_with_a_port_allows_only_that_port()
    {
        using var fetcher = Fetcher(allowed: $"127.0.0.1:{_cdn.Port}");

        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_elsewhere.Url("secret.png"), "Acme", CancellationToken.None));

        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Empty(_elsewhere.Requests);
    }

    [Theory]
    [InlineData("large-with-length")]
    [InlineData("large-chunked")]
    public async Task An_image_larger_than_the_limit_is_refused(string path)
    {
        using var fetcher = CdnAllowed(maxBytes: Large.Length - 1);

        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_cdn.Url(path), "Acme", CancellationToken.None));

        Assert.Equal((ErrorCodes.Internal, false), (error.Code, error.Retryable));
        Assert.Contains($"larger than the limit of {Large.Length - 1} bytes", error.Message);
        Assert.Contains("Providers:Fetch:MaxBytes", error.Message);
    }

    [Fact]
    public async Task An_image_exactly_at_the_limit_is_accepted()
    {
        using var fetcher = CdnAllowed(maxBytes: Large.Length);

        var image = await fetcher.FetchAsync(_cdn.Url("large-chunked"), "Acme", CancellationToken.None);

        Assert.Equal(Large, await TestImages.ReadAsync(image));
    }

    [Fact]
    public async Task Bytes_that_are_not_an_image_are_refused()
    {
        using var fetcher = CdnAllowed();

        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_cdn.Url("page.html"), "Acme", CancellationToken.None));

        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Equal(ImageInspector.NotAnImage, error.Message);
    }

    [Fact]
    public async Task An_error_status_makes_the_provider_unavailable_without_revealing_the_url()
    {
        using var fetcher = CdnAllowed();

        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_cdn.Url("gone?X-Amz-Signature=abcdef123456"), "Acme", CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("HTTP 404", error.Message);
        Assert.DoesNotContain("Signature", error.Message);
        Assert.DoesNotContain("/gone", error.Message);
    }

    [Fact]
    public async Task Transient_failures_are_retried_because_the_image_is_already_paid_for()
    {
        using var fetcher = CdnAllowed(retries: 2);

        var image = await fetcher.FetchAsync(_cdn.Url("flaky"), "Acme", CancellationToken.None);

        Assert.Equal(Photo, await TestImages.ReadAsync(image));
        Assert.Equal(3, _cdn.RequestsTo("/flaky").Count);
    }

    [Fact]
    public async Task A_download_slower_than_the_timeout_fails_as_a_timeout()
    {
        using var fetcher = CdnAllowed(timeout: TimeSpan.FromMilliseconds(500));

        var error = await Assert.ThrowsAsync<ProviderException>(() => fetcher.FetchAsync(_cdn.Url("slow"), "Acme", CancellationToken.None));

        Assert.Equal((ErrorCodes.Timeout, true), (error.Code, error.Retryable));
    }

    [Fact]
    public async Task The_callers_cancellation_is_not_turned_into_a_failure()
    {
        using var fetcher = CdnAllowed();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher.FetchAsync(_cdn.Url("slow"), "Acme", cancel.Token));
    }

    [Fact]
    public async Task Authorization_goes_to_the_results_own_origin_and_not_past_a_redirect()
    {
        using var fetcher = Fetcher(allowed: [_cdn.HostAndPort, _elsewhere.HostAndPort]);
        var token = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "cdn-token");

        var image = await fetcher.FetchAsync(new ImageFetchRequest(_cdn.Url("private-photo.jpg"), "Acme") { Authorization = token }, CancellationToken.None);
        await fetcher.FetchAsync(new ImageFetchRequest(_cdn.Url("private-to-elsewhere"), "Acme") { Authorization = token }, CancellationToken.None);

        Assert.Equal(Photo, await TestImages.ReadAsync(image));
        Assert.Equal("Bearer cdn-token", Assert.Single(_cdn.RequestsTo("/private-to-elsewhere")).Header("Authorization"));
        Assert.Null(Assert.Single(_elsewhere.RequestsTo("/secret.png")).Header("Authorization"));
    }

    [Fact]
    public async Task The_attribution_asked_for_travels_with_the_image()
    {
        using var fetcher = CdnAllowed();
        var credit = new ImageAttribution("Photo by Ann on Fakesplash", "Ann", "https://fakesplash.example/@ann", "https://fakesplash.example/p/1");

        var image = await fetcher.FetchAsync(new ImageFetchRequest(_cdn.Url("photo.jpg"), "Unsplash") { Attribution = credit }, CancellationToken.None);

        Assert.Equal(credit, image.Attribution);
    }
}

public class Judging_network_addresses
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("10.200.1.1")]
    [InlineData("172.16.0.0")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.0")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("febf::1")]
    [InlineData("fc00::1")]
    [InlineData("fdff::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:192.168.1.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:c0a8:0101::1")]
    public void Local_private_and_special_addresses_are_blocked(string address)
    {
        Assert.True(NetworkAddressPolicy.IsBlocked(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]
    [InlineData("172.15.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("192.169.0.1")]
    [InlineData("169.255.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:81c::200e")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:0808:0808::1")]
    public void Public_addresses_are_not(string address)
    {
        Assert.False(NetworkAddressPolicy.IsBlocked(IPAddress.Parse(address)));
    }
}
