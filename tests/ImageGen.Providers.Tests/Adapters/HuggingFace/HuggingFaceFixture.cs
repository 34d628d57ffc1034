using System.Text.Json;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.HuggingFace;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageGen.Providers.Tests.Adapters.HuggingFace;

/// <summary>The Hugging Face fake, and adapters registered as the worker registers them, pointed at the fake by configuration.</summary>
public sealed class HuggingFaceFixture : IAsyncLifetime
{
    private readonly List<ServiceProvider> _services = [];

    public FakeProviderServer Fake { get; private set; } = null!;

    public IImageProviderAdapter Adapter { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fake = await FakeProviderServer.StartAsync(HuggingFaceFake.Map);
        Adapter = CreateAdapter([]);
    }

    public async Task DisposeAsync()
    {
        foreach (var services in _services)
        {
            await services.DisposeAsync();
        }

        await Fake.DisposeAsync();
    }

    /// <summary>An adapter with <c>Providers:huggingface:*</c> settings added to the fake's base URL.</summary>
    public IImageProviderAdapter CreateAdapter(Dictionary<string, string?> settings)
    {
        settings["Providers:huggingface:BaseUrl"] = Fake.Url("hf-inference/").ToString();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddHuggingFaceProvider();
        var provider = services.BuildServiceProvider();
        _services.Add(provider);
        return Assert.Single(provider.GetServices<IImageProviderAdapter>(), a => a.ProviderId == HuggingFaceAdapter.Id);
    }

    public static ProviderRequest Request(
        string prompt, string model = "black-forest-labs/FLUX.1-schnell", int width = 1024, int height = 1024, int count = 1, long seed = 42,
        ImageOutputFormat format = ImageOutputFormat.Png, string? negativePrompt = null, string? key = HuggingFaceFake.Token,
        Dictionary<string, string>? parameters = null) =>
        new(Guid.NewGuid(), 1, model, prompt, negativePrompt, width, height, count, seed, format)
        {
            Parameters = parameters ?? [],
            Credential = key,
        };

    /// <summary>The calls the fake received whose <c>inputs</c> is <paramref name="prompt"/>.</summary>
    public IReadOnlyList<ReceivedRequest> CallsWithPrompt(string prompt) =>
        Fake.Requests.Where(r => IsJson(r) && r.Json().TryGetProperty("inputs", out var inputs) && inputs.GetString() == prompt).ToList();

    private static bool IsJson(ReceivedRequest request)
    {
        try
        {
            return request.Json().ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
