using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.DashScope;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.DashScope;

/// <summary>The DashScope adapter as the worker registers it (<c>AddDashScopeProvider</c>), pointed at the fake, polling every 50 ms.</summary>
internal sealed class DashScopeTestHost : IDisposable
{
    private readonly IHost _host;

    private DashScopeTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<DashScopeAdapter>().Single();
    }

    public DashScopeAdapter Adapter { get; }

    public static DashScopeTestHost For(FakeProviderServer fake)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Providers:dashscope:BaseUrl"] = fake.Url("api/v1").ToString(),
            ["Providers:dashscope:Options:PollInterval"] = "00:00:00.050",
            ["Providers:dashscope:Options:MaxPollInterval"] = "00:00:00.100",
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [fake.HostAndPort], Retries = 0 }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddDashScopeProvider();
        return new DashScopeTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a tea house in the mountains at dawn",
        string model = DashScopeFake.Flash,
        int width = 960,
        int height = 1440,
        int count = 1,
        long seed = 41,
        string? negativePrompt = null,
        string? key = DashScopeFake.ApiKey,
        Dictionary<string, string>? parameters = null,
        decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, prompt, negativePrompt, width, height, count, seed, ImageOutputFormat.Png)
        {
            Parameters = parameters ?? new Dictionary<string, string> { ["size"] = $"{width}*{height}" },
            Credential = key,
            EstimatedCostUsd = estimatedCostUsd,
        };

    public static ProviderPoll Poll(ProviderSubmission submission, int pollCount, string model = DashScopeFake.Flash, string? key = DashScopeFake.ApiKey, decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, submission.TaskId!, submission.State, pollCount, DateTimeOffset.UtcNow)
        {
            Credential = key,
            EstimatedCostUsd = estimatedCostUsd,
        };

    public void Dispose() => _host.Dispose();
}
