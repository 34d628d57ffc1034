using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Adapters.Unsplash;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Adapters.Unsplash;

/// <summary>
/// The Unsplash adapter wired as the worker wires it, pointed at an <see cref="UnsplashFake"/> that plays both the
/// API (<c>Providers:unsplash:BaseUrl</c>) and the image CDN (allowed through <c>Providers:Fetch:AllowedHosts</c>,
/// as loopback is refused otherwise; the real CDN is public and needs no entry).
/// </summary>
public sealed class UnsplashAdapterHost : IAsyncDisposable
{
    private ServiceProvider _services = null!;

    private UnsplashAdapterHost()
    {
    }

    public UnsplashFake Fake { get; } = new();

    public FakeProviderServer Server { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    public IImageProviderAdapter Adapter { get; private set; } = null!;

    public static async Task<UnsplashAdapterHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var host = new UnsplashAdapterHost();
        host.Server = await FakeProviderServer.StartAsync(host.Fake.Map);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Providers:unsplash:BaseUrl"] = host.Server.BaseAddress.ToString(),
                ["Providers:unsplash:Timeout"] = "00:00:30",
                ["Providers:Fetch:AllowedHosts:0"] = host.Server.HostAndPort,
                ["Providers:Fetch:Retries"] = "0",
            })
            .AddInMemoryCollection(settings ?? [])
            .Build();

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => logging.AddProvider(host.Logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<ResultFetchOptions>().Bind(configuration.GetSection(ResultFetchOptions.SectionName));
        services.AddSingleton<ResultImageFetcher>();
        services.AddUnsplashProvider();
        host._services = services.BuildServiceProvider();
        host.Adapter = host._services.GetServices<IImageProviderAdapter>().Single(a => a.ProviderId == UnsplashAdapter.Id);
        return host;
    }

    public static ProviderRequest Request(
        string prompt, int count = 1, int width = 1536, int height = 1024, ImageOutputFormat format = ImageOutputFormat.Jpeg, string? key = UnsplashFake.AccessKey) =>
        new(Guid.NewGuid(), 1, UnsplashAdapter.ModelId, prompt, null, width, height, count, 7, format) { Credential = key };

    public Task<ProviderResult> GenerateAsync(ProviderRequest request) => Adapter.GenerateAsync(request, CancellationToken.None);

    public IReadOnlyList<ReceivedRequest> Searches => Server.RequestsTo("/photos/random");

    public IReadOnlyList<ReceivedRequest> Downloads => Server.Requests.Where(r => r.Path.StartsWith("/images/", StringComparison.Ordinal)).ToList();

    public IReadOnlyList<ReceivedRequest> Trackings => Server.Requests.Where(r => r.Path.EndsWith("/download", StringComparison.Ordinal)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Server.DisposeAsync();
    }
}
