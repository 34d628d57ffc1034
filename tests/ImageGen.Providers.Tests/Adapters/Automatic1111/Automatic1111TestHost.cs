using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Automatic1111;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.Automatic1111;

/// <summary>The Automatic1111 adapter as the worker registers it (<c>AddAutomatic1111Provider</c>), pointed at a fake web UI.</summary>
internal sealed class Automatic1111TestHost : IDisposable
{
    private readonly IHost _host;

    private Automatic1111TestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<Automatic1111Adapter>().Single();
    }

    public Automatic1111Adapter Adapter { get; }

    /// <param name="baseUrl">The configured base URL; the fake's by default.</param>
    /// <param name="allowedHosts">Hosts input-image downloads may reach although they are local.</param>
    /// <param name="logs">Where the adapter's log lines go, for tests that read them.</param>
    public static Automatic1111TestHost For(
        FakeProviderServer? fake,
        Dictionary<string, string?>? settings = null,
        string? baseUrl = null,
        IEnumerable<string>? allowedHosts = null,
        CapturingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?> { ["Providers:automatic1111:BaseUrl"] = baseUrl ?? fake!.BaseAddress.ToString() };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        if (logs is not null)
        {
            builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        }

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [.. allowedHosts ?? []], Retries = 0 }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddAutomatic1111Provider();
        return new Automatic1111TestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a watercolour fox",
        string? negativePrompt = "blurry",
        int width = 64,
        int height = 96,
        int count = 1,
        long seed = 1234,
        Dictionary<string, string>? parameters = null,
        IReadOnlyList<string>? inputImages = null) =>
        new(Guid.NewGuid(), 1, Automatic1111Adapter.ModelId, prompt, negativePrompt, width, height, count, seed, ImageOutputFormat.Png)
        {
            Parameters = parameters ?? [],
            InputImages = inputImages ?? [],
        };

    public void Dispose() => _host.Dispose();
}
