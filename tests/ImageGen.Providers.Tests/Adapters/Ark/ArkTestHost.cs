using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Ark;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.Ark;

/// <summary>The Ark adapter as the worker registers it (<c>AddArkProvider</c>), pointed at the fake through configuration.</summary>
internal sealed class ArkTestHost : IDisposable
{
    private readonly IHost _host;

    private ArkTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<ArkAdapter>().Single();
    }

    public ArkAdapter Adapter { get; }

    public static ArkTestHost For(FakeProviderServer fake, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?> { ["Providers:ark:BaseUrl"] = fake.Url("api/v3").ToString() };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [fake.HostAndPort], Retries = 0 }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddArkProvider();
        return new ArkTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a paper lantern festival by a river",
        string model = ArkFake.Seedream4,
        int width = 1280,
        int height = 720,
        int count = 1,
        long seed = 41,
        string? key = ArkFake.ApiKey,
        Dictionary<string, string>? parameters = null,
        IReadOnlyList<string>? inputImages = null,
        decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, prompt, null, width, height, count, seed, ImageOutputFormat.Jpeg)
        {
            Parameters = parameters ?? new Dictionary<string, string> { ["size"] = $"{width}x{height}" },
            Credential = key,
            InputImages = inputImages ?? [],
            EstimatedCostUsd = estimatedCostUsd,
        };

    public void Dispose() => _host.Dispose();
}
