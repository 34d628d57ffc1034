using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Google;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Adapters.Google;

/// <summary>
/// The Google adapter wired exactly as the worker wires it (its registration method, the provider settings binder,
/// the result fetcher), pointed at a <see cref="GoogleFake"/> through <c>Providers:google:BaseUrl</c>.
/// </summary>
public sealed class GoogleAdapterHost : IAsyncDisposable
{
    private ServiceProvider _services = null!;

    private GoogleAdapterHost()
    {
    }

    public GoogleFake Fake { get; } = new();

    public FakeProviderServer Server { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    public IImageProviderAdapter Adapter { get; private set; } = null!;

    public static async Task<GoogleAdapterHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var host = new GoogleAdapterHost();
        host.Server = await FakeProviderServer.StartAsync(host.Fake.Map);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Providers:google:BaseUrl"] = host.Server.Url("v1beta").ToString(),
                ["Providers:google:Timeout"] = "00:00:30",
                // Input images for edits are served by the fake on loopback, which the fetcher refuses otherwise.
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
        services.AddGoogleProvider();
        host._services = services.BuildServiceProvider();
        host.Adapter = host._services.GetServices<IImageProviderAdapter>().Single(a => a.ProviderId == GoogleAdapter.Id);
        return host;
    }

    /// <summary>A request as the worker builds it from a command: the orchestrator's translated parameters included.</summary>
    public static ProviderRequest Request(
        string prompt,
        string model = "imagen-4.0-generate-001",
        int count = 1,
        string? aspectRatio = "1:1",
        int width = 1024,
        int height = 1024,
        ImageOutputFormat format = ImageOutputFormat.Png,
        string? key = GoogleFake.ApiKey,
        IReadOnlyList<string>? inputImages = null,
        decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, prompt, null, width, height, count, 42, format)
        {
            Parameters = aspectRatio is null ? ProviderRequest.NoParameters : new Dictionary<string, string> { ["aspect_ratio"] = aspectRatio },
            Credential = key,
            InputImages = inputImages ?? [],
            EstimatedCostUsd = estimatedCostUsd,
        };

    public Task<ProviderResult> GenerateAsync(ProviderRequest request) => Adapter.GenerateAsync(request, CancellationToken.None);

    public IReadOnlyList<ReceivedRequest> CallsTo(string model, string method) => Server.RequestsTo($"/v1beta/models/{model}:{method}");

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Server.DisposeAsync();
    }
}
