using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using ImageGen.Contracts;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Adapters.Http;

/// <summary>Limits of result downloads, bound from <c>Providers:Fetch</c>.</summary>
public sealed class ResultFetchOptions
{
    public const string SectionName = "Providers:Fetch";

    /// <summary>
    /// Hosts that may be fetched from although they resolve to a private or local address: <c>host:port</c>,
    /// <c>host</c> (any port) or a URL (its host and port). For self-hosted providers on the local network.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Largest result image accepted, in bytes (default 50 MiB).</summary>
    public long MaxBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Longest one download may take, its redirects and retries included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Further tries of a download that failed transiently (5xx, 408, 429, a broken connection): the image is already paid for.</summary>
    public int Retries { get; set; } = 2;
}

/// <summary>One result download.</summary>
/// <param name="Url">Where the provider put the image.</param>
/// <param name="Provider">The provider's name, for messages.</param>
public sealed record ImageFetchRequest(Uri Url, string Provider)
{
    /// <summary>
    /// Origins (scheme, host and port of each URL) the adapter vouches for, e.g. a self-hosted provider's
    /// configured base URL: fetched even when they resolve to a private or local address.
    /// </summary>
    public IReadOnlyList<Uri> AllowedOrigins { get; init; } = [];

    /// <summary>Sent to <see cref="Url"/>'s own origin only, never after a redirect to another one.</summary>
    public AuthenticationHeaderValue? Authorization { get; init; }

    /// <summary>Carried on the returned image (stock photos).</summary>
    public ImageAttribution? Attribution { get; init; }
}

/// <summary>
/// Downloads result images from the URLs providers hand back (they expire in 1-24 h, so the worker stores
/// them itself). Hardened against being pointed at the worker's own network: only http and https; every
/// connection's addresses are resolved and checked here, in the connect callback, so a DNS answer cannot
/// change between the check and the connection; redirects are followed by hand (at most
/// <see cref="MaxRedirects"/>) and every hop is checked again; the size is capped before and while reading;
/// the bytes must be an image (<see cref="ImageInspector"/>). Every failure is a <see cref="ProviderException"/>.
/// </summary>
public sealed partial class ResultImageFetcher : IDisposable
{
    public const int MaxRedirects = 3;

    private static readonly HttpRequestOptionsKey<bool> TrustedKey = new("ImageGen.ResultFetch.Trusted");

    private readonly HttpClient _client;
    private readonly IOptionsMonitor<ResultFetchOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ResultImageFetcher> _logger;

    public ResultImageFetcher(IOptionsMonitor<ResultFetchOptions> options, TimeProvider time, ILogger<ResultImageFetcher> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        // Owned here rather than taken from the factory: the service defaults would add their retrying
        // resilience handler and service discovery (which could map a name to an internal service).
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // A compressed body could expand past the size cap unseen; images are compressed anyway.
            AutomaticDecompression = DecompressionMethods.None,
            // Through a proxy the connect callback would check the proxy, not the image's host.
            UseProxy = false,
            ConnectCallback = ConnectAsync,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        _client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ImageGen", "1.0"));
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("image/*"));
    }

    /// <summary>Downloads and checks the image at <paramref name="url"/>.</summary>
    public Task<ProviderImage> FetchAsync(Uri url, string provider, CancellationToken cancellationToken) =>
        FetchAsync(new ImageFetchRequest(url, provider), cancellationToken);

    /// <summary>Downloads and checks one result image.</summary>
    public async Task<ProviderImage> FetchAsync(ImageFetchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = _options.CurrentValue;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var url = request.Url;
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                CheckScheme(url, request.Provider);
                using var response = await SendAsync(url, request, options, timeout.Token);
                if (IsRedirect(response.StatusCode))
                {
                    if (redirects == MaxRedirects)
                    {
                        throw ProviderException.Internal($"The result image of {request.Provider} was redirected more than {MaxRedirects} times; it was not fetched.");
                    }

                    url = response.Headers.Location is { } location
                        ? new Uri(url, location)
                        : throw ProviderException.ProviderUnavailable($"{Origin(url)} answered a redirect without a location for the result image of {request.Provider}.");
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw ProviderException.ProviderUnavailable(
                        $"Downloading the result image of {request.Provider} from {Origin(url)} failed with HTTP {(int)response.StatusCode}.");
                }

                var bytes = await ReadCappedAsync(response, url, request.Provider, options.MaxBytes, timeout.Token);
                var image = ImageInspector.ToProviderImage(bytes, request.Attribution);
                LogFetched(bytes.Length, Origin(url), image.ContentType);
                return image;
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw ProviderException.Timeout($"Downloading the result image of {request.Provider} from {Origin(url)} took longer than {options.Timeout.TotalSeconds:0} s.", ex);
        }
        catch (HttpRequestException ex) when (FindBlocked(ex) is { } blocked)
        {
            LogRefused(blocked.Authority, request.Provider);
            throw ProviderException.Internal(
                $"The result image of {request.Provider} is at {blocked.Authority}, a private, loopback or otherwise local address; it was not fetched. " +
                $"If {request.Provider} is self-hosted there, add {blocked.Authority} to {ResultFetchOptions.SectionName}:AllowedHosts.", innerException: ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw ProviderException.ProviderUnavailable(
                $"Downloading the result image of {request.Provider} from {Origin(url)} failed: the connection failed or broke off.", innerException: ex);
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task<HttpResponseMessage> SendAsync(Uri url, ImageFetchRequest request, ResultFetchOptions options, CancellationToken cancellationToken)
    {
        var trusted = IsAllowed(url, options.AllowedHosts, request.AllowedOrigins);
        for (var attempt = 0; ; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            message.Options.Set(TrustedKey, trusted);
            if (request.Authorization is { } authorization && SameOrigin(url, request.Url))
            {
                message.Headers.Authorization = authorization;
            }

            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException ex) when (attempt < options.Retries && FindBlocked(ex) is null)
            {
                await Task.Delay(Backoff(attempt), _time, cancellationToken);
                continue;
            }

            if (attempt < options.Retries && IsTransient(response.StatusCode))
            {
                response.Dispose();
                await Task.Delay(Backoff(attempt), _time, cancellationToken);
                continue;
            }

            return response;
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadCappedAsync(HttpResponseMessage response, Uri url, string provider, long maxBytes, CancellationToken cancellationToken)
    {
        ProviderException TooLarge() => ProviderException.Internal(
            $"The result image of {provider} at {Origin(url)} is larger than the limit of {maxBytes} bytes ({ResultFetchOptions.SectionName}:MaxBytes).");

        var declared = response.Content.Headers.ContentLength;
        if (declared > maxBytes)
        {
            throw TooLarge();
        }

        // Content-Length may be absent or false: count what actually arrives.
        using var content = new MemoryStream((int)Math.Min(declared ?? 256 * 1024, maxBytes));
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (content.Length + read > maxBytes)
                {
                    throw TooLarge();
                }

                content.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return content.GetBuffer().AsMemory(0, (int)content.Length);
    }

    // Resolves the name itself and connects to exactly the addresses it checked.
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var host = endpoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        // Pooled connections are keyed by host and port, so one trusted for an allowed host:port is only reused for that host:port.
        var trusted = context.InitialRequestMessage.Options.TryGetValue(TrustedKey, out var t) && t;
        if (!trusted && addresses.FirstOrDefault(NetworkAddressPolicy.IsBlocked) is { } blocked)
        {
            throw new BlockedAddressException(Authority(host, endpoint.Port), blocked);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void CheckScheme(Uri url, string provider)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw ProviderException.Internal(
                $"The result image of {provider} has a {(url.IsAbsoluteUri ? $"'{url.Scheme}'" : "relative")} URL; only http and https URLs are fetched.");
        }
    }

    private static bool IsAllowed(Uri url, IEnumerable<string> allowedHosts, IEnumerable<Uri> allowedOrigins)
    {
        var host = Host(url);
        foreach (var entry in allowedHosts)
        {
            if (AllowedHost.TryParse(entry, out var allowed) && allowed.Matches(host, url.Port))
            {
                return true;
            }
        }

        return allowedOrigins.Any(o => o.IsAbsoluteUri && string.Equals(Host(o), host, StringComparison.OrdinalIgnoreCase) && o.Port == url.Port);
    }

    private static BlockedAddressException? FindBlocked(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is BlockedAddressException blocked)
            {
                return blocked;
            }
        }

        return null;
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(250 * (1 << attempt));

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(Host(a), Host(b), StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static string Host(Uri url) => url.IdnHost.Trim('[', ']');

    private static string Authority(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    // Only scheme, host and port: result URLs are often signed, and their query is as good as a key.
    private static string Origin(Uri url) => url.IsAbsoluteUri ? $"{url.Scheme}://{url.Authority}" : "(relative URL)";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fetched a {Bytes}-byte {ContentType} result image from {Origin}")]
    private partial void LogFetched(int bytes, string origin, string contentType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused to fetch a result image of {Provider} from the local address {Authority}")]
    private partial void LogRefused(string authority, string provider);

    private sealed class BlockedAddressException(string authority, IPAddress address)
        : IOException($"{authority} resolves to {address}, which result downloads may not connect to.")
    {
        public string Authority { get; } = authority;
    }

    /// <summary>An entry of <see cref="ResultFetchOptions.AllowedHosts"/>: a host with a port, or with any port.</summary>
    private readonly record struct AllowedHost(string Host, int? Port)
    {
        public static bool TryParse(string? entry, out AllowedHost allowed)
        {
            allowed = default;
            if (string.IsNullOrWhiteSpace(entry))
            {
                return false;
            }

            var text = entry.Trim();
            if (text.Contains("://", StringComparison.Ordinal))
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
                {
                    return false;
                }

                allowed = new AllowedHost(url.IdnHost.Trim('[', ']'), url.Port);
                return true;
            }

            // "host:port" or "[v6]:port" has a port; "host" or a bare IPv6 address has none.
            var colon = text.LastIndexOf(':');
            var hasPort = colon > 0 && (text.IndexOf(':') == colon || text[colon - 1] == ']')
                          && int.TryParse(text.AsSpan(colon + 1), out _);
            if (!Uri.TryCreate($"http://{(hasPort || !text.Contains(':') ? text : $"[{text}]")}", UriKind.Absolute, out var parsed))
            {
                return false;
            }

            allowed = new AllowedHost(parsed.IdnHost.Trim('[', ']'), hasPort ? parsed.Port : null);
            return true;
        }

        public bool Matches(string host, int port) =>
            string.Equals(Host, host, StringComparison.OrdinalIgnoreCase) && (Port is null || Port == port);
    }
}
