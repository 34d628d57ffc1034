using System.Globalization;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Adapters.OpenAi;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests.Adapters.OpenAi;

/// <summary>The OpenAI adapter as the worker registers it, pointed at a fake through configuration.</summary>
internal sealed class OpenAiTestHost : IDisposable
{
    private readonly IHost _host;

    private OpenAiTestHost(IHost host)
    {
        _host = host;
        Adapter = host.Services.GetServices<IImageProviderAdapter>().OfType<OpenAiAdapter>().Single();
    }

    public OpenAiAdapter Adapter { get; }

    public IServiceProvider Services => _host.Services;

    /// <param name="allowedHosts">Hosts result and input downloads may reach although they are local (the fake's, by default).</param>
    public static OpenAiTestHost For(OpenAiFake? fake, Dictionary<string, string?>? settings = null, IEnumerable<string>? allowedHosts = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var configuration = new Dictionary<string, string?>();
        if (fake is not null)
        {
            configuration["Providers:openai:BaseUrl"] = fake.BaseUrl.ToString();
        }

        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IOptionsMonitor<ResultFetchOptions>>(new FixedOptionsMonitor<ResultFetchOptions>(new ResultFetchOptions
        {
            AllowedHosts = [.. allowedHosts ?? (fake is null ? [] : [fake.Server.HostAndPort])],
            Retries = 0,
        }));
        builder.Services.AddSingleton<ResultImageFetcher>();
        builder.Services.AddOpenAiProvider();
        return new OpenAiTestHost(builder.Build());
    }

    public static ProviderRequest Request(
        string prompt = "a red fox in the snow",
        string model = "gpt-image-1",
        int count = 1,
        string size = "1024x1024",
        ImageOutputFormat format = ImageOutputFormat.Png,
        Dictionary<string, string>? parameters = null,
        string? key = OpenAiFake.Key,
        IReadOnlyList<string>? inputImages = null)
    {
        var sides = size.Split('x');
        var all = new Dictionary<string, string>(parameters ?? [], StringComparer.Ordinal) { ["size"] = size };
        return new ProviderRequest(Guid.NewGuid(), 1, model, prompt, null,
            int.Parse(sides[0], CultureInfo.InvariantCulture), int.Parse(sides[1], CultureInfo.InvariantCulture), count, 42, format)
        {
            Parameters = all,
            Credential = key,
            InputImages = inputImages ?? [],
        };
    }

    public void Dispose() => _host.Dispose();
}
