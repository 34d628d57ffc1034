using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Adapters.Kie;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.Kie;

/// <summary>The KIE adapter as the worker registers it (<c>AddKieProvider</c>), pointed at the fake (API and file upload), polling every 20-40 ms.</summary>
internal sealed class KieTestHost : IDisposable
{
    private readonly IHost _host;

    private KieTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<KieAdapter>().Single();
    }

    public KieAdapter Adapter { get; }

    /// <param name="settings">Extra or replaced configuration; a null value removes a default (e.g. the HMAC key).</param>
    public static KieTestHost For(KieFake fake, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?>
        {
            ["Providers:kie:BaseUrl"] = fake.Server.BaseAddress.ToString(),
            ["Providers:kie:Options:UploadBaseUrl"] = fake.Server.BaseAddress.ToString(),
            ["Providers:kie:Options:PollInterval"] = "00:00:00.020",
            ["Providers:kie:Options:MaxPollInterval"] = "00:00:00.040",
            ["Providers:kie:Options:WebhookPollInterval"] = "00:00:00.250",
            ["Providers:kie:Options:WebhookHmacKey"] = KieFake.HmacKey,
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
        builder.Services.AddKieProvider();
        return new KieTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a paper boat on a quiet canal",
        string model = KieFake.Pro,
        int width = 1024,
        int height = 1536,
        int count = 1,
        ImageOutputFormat format = ImageOutputFormat.Png,
        string? aspectRatio = "3:4",
        string? key = KieFake.ApiKey,
        Uri? webhookUrl = null,
        decimal? estimatedCostUsd = null,
        params string[] inputImages) =>
        new(Guid.NewGuid(), 1, model, prompt, null, width, height, count, 77, format)
        {
            Parameters = aspectRatio is null ? ProviderRequest.NoParameters : new Dictionary<string, string> { ["aspectRatio"] = aspectRatio },
            Credential = key,
            WebhookUrl = webhookUrl,
            EstimatedCostUsd = estimatedCostUsd,
            InputImages = inputImages,
        };

    public static ProviderPoll Poll(ProviderSubmission submission, int pollCount, string model = KieFake.Pro, string? key = KieFake.ApiKey, decimal? estimatedCostUsd = null) =>
        new(Guid.NewGuid(), 1, model, submission.TaskId!, submission.State, pollCount, DateTimeOffset.UtcNow)
        {
            Credential = key,
            EstimatedCostUsd = estimatedCostUsd,
        };

    /// <summary>Polls until the tasks are no longer running (the fake finishes a task on its second poll).</summary>
    public async Task<ProviderPollResult> PollUntilDoneAsync(ProviderSubmission submission, decimal? estimatedCostUsd = null)
    {
        for (var polls = 0; polls < 20; polls++)
        {
            var verdict = await Adapter.PollAsync(Poll(submission, polls, estimatedCostUsd: estimatedCostUsd), CancellationToken.None);
            if (verdict is not ProviderPollResult.StillRunning)
            {
                return verdict;
            }
        }

        throw new InvalidOperationException("The KIE fake kept the task running for 20 polls.");
    }

    public void Dispose() => _host.Dispose();
}
