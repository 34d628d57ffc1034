using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Fal;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.Fal;

/// <summary>The fal adapter as the worker registers it (<c>AddFalProvider</c>), pointed at the fake: its queue, its key set, polls every 20-40 ms.</summary>
internal sealed class FalTestHost : IDisposable
{
    private readonly IHost _host;

    private FalTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<FalAdapter>().Single();
    }

    public FalAdapter Adapter { get; }

    /// <param name="settings">Extra or replaced configuration, e.g. <c>Providers:fal:Options:WebhookUserId</c>.</param>
    public static FalTestHost For(FalFake fake, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?>
        {
            ["Providers:fal:BaseUrl"] = fake.Server.BaseAddress.ToString(),
            ["Providers:fal:Options:PollInterval"] = "00:00:00.020",
            ["Providers:fal:Options:MaxPollInterval"] = "00:00:00.040",
            ["Providers:fal:Options:WebhookPollInterval"] = "00:00:00.250",
            ["Providers:fal:Options:JwksUrl"] = fake.JwksUrl.ToString(),
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [fake.Server.HostAndPort], Retries = 0 }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddFalProvider();
        return new FalTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a lighthouse on a cliff at dusk",
        string model = FalFake.Schnell,
        int width = 768,
        int height = 1024,
        int count = 1,
        long seed = 4242,
        ImageOutputFormat format = ImageOutputFormat.Png,
        string? imageSize = "portrait_4_3",
        string? key = FalFake.ApiKey,
        Uri? webhookUrl = null,
        decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, prompt, null, width, height, count, seed, format)
        {
            Parameters = imageSize is null ? ProviderRequest.NoParameters : new Dictionary<string, string> { ["image_size"] = imageSize },
            Credential = key,
            WebhookUrl = webhookUrl,
            EstimatedCostUsd = estimatedCostUsd,
        };

    public static ProviderPoll Poll(ProviderSubmission submission, int pollCount, string model = FalFake.Schnell, string? key = FalFake.ApiKey, decimal? estimatedCostUsd = null) =>
        Poll(submission.TaskId!, submission.State, pollCount, model, key, estimatedCostUsd);

    public static ProviderPoll Poll(string taskId, string? state, int pollCount, string model = FalFake.Schnell, string? key = FalFake.ApiKey, decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, taskId, state, pollCount, DateTimeOffset.UtcNow)
        {
            Credential = key,
            EstimatedCostUsd = estimatedCostUsd,
        };

    /// <summary>Polls until the request is no longer running (the fake completes it on the third poll).</summary>
    public async Task<ProviderPollResult> PollUntilDoneAsync(ProviderSubmission submission, string model = FalFake.Schnell, decimal? estimatedCostUsd = null)
    {
        for (var polls = 0; polls < 20; polls++)
        {
            var verdict = await Adapter.PollAsync(Poll(submission, polls, model, estimatedCostUsd: estimatedCostUsd), CancellationToken.None);
            if (verdict is not ProviderPollResult.StillRunning)
            {
                return verdict;
            }
        }

        throw new InvalidOperationException("The fal fake kept the request running for 20 polls.");
    }

    public void Dispose() => _host.Dispose();
}
