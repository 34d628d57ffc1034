using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Adapters.Leonardo;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.Leonardo;

/// <summary>
/// The Leonardo adapter as the worker registers it (<c>AddLeonardoProvider</c>), pointed at the fake with the worker's own key,
/// polling every 50 ms; <paramref name="options"/> adds or overrides <c>Providers:leonardo:Options:*</c>.
/// </summary>
internal sealed class LeonardoTestHost : IDisposable
{
    private readonly IHost _host;

    private LeonardoTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<LeonardoAdapter>().Single();
    }

    public LeonardoAdapter Adapter { get; }

    public static LeonardoTestHost For(LeonardoFake fake, Dictionary<string, string?>? options = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Providers:leonardo:BaseUrl"] = fake.Server.Url("api/rest/v1").ToString(),
            ["Providers:leonardo:ApiKey"] = LeonardoFake.ApiKey,
            ["Providers:leonardo:Options:PollInterval"] = "00:00:00.050",
        };
        foreach (var (name, value) in options ?? [])
        {
            settings[$"Providers:leonardo:Options:{name}"] = value;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(
            new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions { AllowedHosts = [fake.Server.HostAndPort], Retries = 0 }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddLeonardoProvider();
        return new LeonardoTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "an orange cat on a blue basketball",
        string model = LeonardoAdapter.Phoenix10,
        int width = 1024,
        int height = 768,
        int count = 1,
        long seed = 905_778_432,
        string? negativePrompt = null,
        string? key = LeonardoFake.ApiKey,
        Dictionary<string, string>? parameters = null,
        Uri? webhookUrl = null) =>
        new(Guid.NewGuid(), 1, model, prompt, negativePrompt, width, height, count, seed, ImageOutputFormat.Jpeg)
        {
            Parameters = parameters ?? ProviderRequest.NoParameters,
            Credential = key,
            WebhookUrl = webhookUrl,
        };

    public static ProviderPoll Poll(ProviderSubmission submission, int pollCount, string model = LeonardoAdapter.Phoenix10, string? key = LeonardoFake.ApiKey) =>
        new(Guid.NewGuid(), 1, model, submission.TaskId!, submission.State, pollCount, DateTimeOffset.UtcNow) { Credential = key };

    public void Dispose() => _host.Dispose();
}
