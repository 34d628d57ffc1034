using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Firefly;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.Firefly;

/// <summary>
/// The Firefly adapter as the worker registers it (<c>AddFireflyProvider</c>), pointed at a <see cref="FireflyFake"/> for both Firefly
/// (<c>Providers:firefly:BaseUrl</c>) and IMS (<c>Options:ImsUrl</c>), with <c>Options:ClientId</c> configured, polling every 50 ms, on a
/// clock the test can move forward.
/// </summary>
internal sealed class FireflyTestHost : IDisposable
{
    private readonly IHost _host;

    private FireflyTestHost(IHost host, ManualClock clock, CapturingLoggerProvider logs)
    {
        _host = host;
        Clock = clock;
        Logs = logs;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<FireflyAdapter>().Single();
    }

    public FireflyAdapter Adapter { get; }

    public ManualClock Clock { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <param name="settings">More configuration; a null value removes a default (e.g. <c>Options:ClientId</c>).</param>
    public static FireflyTestHost For(FireflyFake fake, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?>
        {
            ["Providers:firefly:BaseUrl"] = fake.Server.BaseAddress.ToString(),
            ["Providers:firefly:Options:ImsUrl"] = fake.ImsUrl.ToString(),
            ["Providers:firefly:Options:ClientId"] = FireflyFake.ClientId,
            ["Providers:firefly:Options:PollInterval"] = "00:00:00.050",
            ["Providers:firefly:Options:MaxPollInterval"] = "00:00:00.100",
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        var clock = new ManualClock();
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [fake.Server.HostAndPort], Retries = 0 }));
        builder.Services.AddFireflyProvider();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<ResultImageFetcher>();
        return new FireflyTestHost(builder.Build(), clock, logs);
    }

    /// <summary>A request as the worker builds it; the key is the client secret alone by default (the client id is configured).</summary>
    public static ProviderRequest Request(
        string prompt = "a lighthouse on a cliff at dusk",
        string model = "image3",
        int width = 1024,
        int height = 1024,
        int count = 1,
        long seed = 1842533538,
        string? negativePrompt = null,
        string? key = FireflyFake.ClientSecret,
        Dictionary<string, string>? parameters = null) =>
        new(Guid.NewGuid(), 1, model, prompt, negativePrompt, width, height, count, seed, ImageOutputFormat.Jpeg)
        {
            Parameters = parameters ?? new Dictionary<string, string> { ["size"] = $"{width}x{height}" },
            Credential = key,
        };

    public static ProviderPoll Poll(ProviderSubmission submission, int pollCount, string model = "image3", string? key = FireflyFake.ClientSecret) =>
        new(Guid.NewGuid(), 1, model, submission.TaskId!, submission.State, pollCount, DateTimeOffset.UtcNow) { Credential = key };

    public void Dispose() => _host.Dispose();
}

/// <summary>A clock whose "now" the test moves; timers (the poll loop's delays) still run on real time.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
