using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.ComfyUi;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.ComfyUi;

/// <summary>
/// The ComfyUI adapter as the worker registers it (<c>AddComfyUiProvider</c>), pointed at a <see cref="ComfyUiFake"/> on loopback, polling
/// every 50 ms. No host is in <c>Providers:Fetch:AllowedHosts</c>: downloads from the server work only because it is the configured base.
/// </summary>
internal sealed class ComfyUiTestHost : IDisposable
{
    private readonly IHost _host;

    private ComfyUiTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<ComfyUiAdapter>().Single();
    }

    public ComfyUiAdapter Adapter { get; }

    public static ComfyUiTestHost For(ComfyUiFake? fake, Dictionary<string, string?>? settings = null, string? baseUrl = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?>
        {
            ["Providers:comfyui:BaseUrl"] = baseUrl ?? fake!.Server.BaseAddress.ToString(),
            ["Providers:comfyui:Options:PollInterval"] = "00:00:00.050",
            ["Providers:comfyui:Options:MaxPollInterval"] = "00:00:00.100",
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [], Retries = 0 }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddComfyUiProvider();
        return new ComfyUiTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a red fox in fresh snow",
        string? negativePrompt = "blurry, text",
        int width = 64,
        int height = 96,
        int count = 1,
        long seed = 424242,
        string? key = null,
        Dictionary<string, string>? parameters = null) =>
        new(Guid.NewGuid(), 1, ComfyUiAdapter.ModelId, prompt, negativePrompt, width, height, count, seed, ImageOutputFormat.Png)
        {
            Parameters = parameters ?? [],
            Credential = key,
        };

    public static ProviderPoll Poll(ProviderSubmission submission, int pollCount, string? key = null) =>
        new(Guid.NewGuid(), 1, ComfyUiAdapter.ModelId, submission.TaskId!, submission.State, pollCount, DateTimeOffset.UtcNow) { Credential = key };

    public void Dispose() => _host.Dispose();
}
