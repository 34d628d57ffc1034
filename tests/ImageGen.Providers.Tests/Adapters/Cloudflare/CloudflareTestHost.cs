using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Cloudflare;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ImageGen.Providers.Tests.Adapters.Cloudflare;

/// <summary>The Workers AI adapter as the worker registers it (<c>AddCloudflareProvider</c>), pointed at the fake through configuration.</summary>
internal sealed class CloudflareTestHost : IDisposable
{
    private readonly IHost _host;

    private CloudflareTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<CloudflareAdapter>().Single();
    }

    public CloudflareAdapter Adapter { get; }

    /// <param name="accountId">The configured account id; null leaves it out.</param>
    public static CloudflareTestHost For(FakeProviderServer fake, string? accountId = CloudflareFake.AccountId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Providers:cloudflare:BaseUrl"] = fake.Url("client/v4").ToString(),
            ["Providers:cloudflare:Options:AccountId"] = accountId,
        });
        builder.Services.AddCloudflareProvider();
        return new CloudflareTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a lighthouse on a cliff at dawn",
        string model = CloudflareAdapter.FluxSchnell,
        int width = 1024,
        int height = 1024,
        int count = 1,
        long seed = 1234,
        string? negativePrompt = null,
        string? key = CloudflareFake.ApiToken,
        Dictionary<string, string>? parameters = null,
        decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, prompt, negativePrompt, width, height, count, seed, ImageOutputFormat.Jpeg)
        {
            Parameters = parameters ?? (model == CloudflareAdapter.FluxSchnell ? new Dictionary<string, string> { ["size"] = "1024x1024" } : []),
            Credential = key,
            EstimatedCostUsd = estimatedCostUsd,
        };

    public void Dispose() => _host.Dispose();
}
