using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Adapters.Replicate;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.Replicate;

/// <summary>
/// The Replicate adapter as the worker registers it (<c>AddReplicateProvider</c>), pointed at the fake with the worker's own token,
/// polling every 50 ms (100 ms after <see cref="ReplicateAdapter.FastPolls"/>); <paramref name="options"/> adds or overrides
/// <c>Providers:replicate:Options:*</c> (a null value removes one).
/// </summary>
internal sealed class ReplicateTestHost : IDisposable
{
    private readonly IHost _host;

    private ReplicateTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<ReplicateAdapter>().Single();
    }

    public ReplicateAdapter Adapter { get; }

    public static ReplicateTestHost For(ReplicateFake fake, Dictionary<string, string?>? options = null, string? apiKey = ReplicateFake.ApiKey)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Providers:replicate:BaseUrl"] = fake.Server.Url("v1").ToString(),
            ["Providers:replicate:ApiKey"] = apiKey,
            ["Providers:replicate:Options:PollInterval"] = "00:00:00.050",
            ["Providers:replicate:Options:MaxPollInterval"] = "00:00:00.100",
        };
        foreach (var (name, value) in options ?? [])
        {
            settings[$"Providers:replicate:Options:{name}"] = value;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [fake.Server.HostAndPort], Retries = 0 }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddReplicateProvider();
        return new ReplicateTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a lighthouse on a cliff at dusk",
        string model = ReplicateFake.Schnell,
        int width = 1024,
        int height = 1024,
        int count = 1,
        long seed = 42,
        ImageOutputFormat format = ImageOutputFormat.Png,
        string? key = ReplicateFake.ApiKey,
        Dictionary<string, string>? parameters = null,
        Uri? webhookUrl = null,
        decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, prompt, null, width, height, count, seed, format)
        {
            Parameters = parameters ?? (model == ReplicateFake.Pro ? ProviderRequest.NoParameters : new Dictionary<string, string> { ["aspect_ratio"] = "1:1" }),
            Credential = key,
            WebhookUrl = webhookUrl,
            EstimatedCostUsd = estimatedCostUsd,
        };

    public static ProviderPoll Poll(ProviderSubmission submission, int pollCount, string model = ReplicateFake.Schnell, string? key = ReplicateFake.ApiKey, decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, submission.TaskId!, submission.State, pollCount, DateTimeOffset.UtcNow)
        {
            Credential = key,
            EstimatedCostUsd = estimatedCostUsd,
        };

    public void Dispose() => _host.Dispose();
}
