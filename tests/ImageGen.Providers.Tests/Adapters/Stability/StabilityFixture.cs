using System.Text;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Stability;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace ImageGen.Providers.Tests.Adapters.Stability;

/// <summary>The Stability fake, and the adapter registered as the worker registers it, pointed at the fake by configuration.</summary>
public sealed class StabilityFixture : IAsyncLifetime
{
    private ServiceProvider _services = null!;

    public FakeProviderServer Fake { get; private set; } = null!;

    public IImageProviderAdapter Adapter { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fake = await FakeProviderServer.StartAsync(StabilityFake.Map);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Providers:stability:BaseUrl"] = Fake.BaseAddress.ToString() })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddStabilityProvider();
        _services = services.BuildServiceProvider();
        Adapter = Assert.Single(_services.GetServices<IImageProviderAdapter>(), a => a.ProviderId == StabilityAdapter.Id);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await Fake.DisposeAsync();
    }

    public static ProviderRequest Request(
        string prompt, string model = "core", int count = 1, long seed = 42, ImageOutputFormat format = ImageOutputFormat.Png,
        string? negativePrompt = null, string? aspectRatio = "1:1", string? key = StabilityFake.ApiKey, decimal? estimatedCostUsd = null)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (aspectRatio is not null)
        {
            parameters["aspect_ratio"] = aspectRatio;
        }

        return new ProviderRequest(Guid.NewGuid(), 1, model, prompt, negativePrompt, 1024, 1024, count, seed, format)
        {
            Parameters = parameters,
            Credential = key,
            EstimatedCostUsd = estimatedCostUsd,
        };
    }

    /// <summary>The calls the fake received whose <c>prompt</c> field is <paramref name="prompt"/>, with their form fields.</summary>
    public async Task<IReadOnlyList<(ReceivedRequest Request, IReadOnlyList<FormField> Fields)>> CallsWithPromptAsync(string prompt)
    {
        var calls = new List<(ReceivedRequest, IReadOnlyList<FormField>)>();
        foreach (var request in Fake.Requests)
        {
            var fields = await FormFieldsAsync(request);
            if (fields.Any(f => f.Name == "prompt" && f.Value == prompt))
            {
                calls.Add((request, fields));
            }
        }

        return calls;
    }

    private static async Task<IReadOnlyList<FormField>> FormFieldsAsync(ReceivedRequest request)
    {
        if (request.Header("Content-Type") is not { } contentType
            || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return [];
        }

        var reader = new MultipartReader(boundary, new MemoryStream(request.Body));
        var fields = new List<FormField>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var disposition = ContentDispositionHeaderValue.Parse(section.ContentDisposition);
            using var text = new StreamReader(section.Body, Encoding.UTF8);
            fields.Add(new FormField(HeaderUtilities.RemoveQuotes(disposition.Name).Value!, await text.ReadToEndAsync(), section.ContentType));
        }

        return fields;
    }
}

public sealed record FormField(string Name, string Value, string? ContentType);
