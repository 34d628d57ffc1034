using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Providers;

/// <summary>What one model can do; requests are validated against it before anything is queued.</summary>
public sealed record ModelCapabilities(
    int MinWidth,
    int MaxWidth,
    int MinHeight,
    int MaxHeight,
    int MaxImages,
    bool SupportsSeed,
    bool SupportsNegativePrompt,
    IReadOnlyList<string> OutputFormats,
    int DefaultWidth,
    int DefaultHeight);

public sealed record ModelDescriptor(string Id, string Name, string Description, ModelCapabilities Capabilities);

public sealed record ProviderDescriptor(
    string Id,
    string Name,
    string Description,
    string DefaultModel,
    IReadOnlyList<ModelDescriptor> Models)
{
    public ModelDescriptor? FindModel(string id) =>
        Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase));
}

public sealed class ProviderSettings
{
    public bool Enabled { get; set; } = true;
}

public sealed class ProviderCatalogOptions
{
    public const string SectionName = "Providers";

    /// <summary>Provider used when a request names none.</summary>
    public string Default { get; set; } = BuiltinProvider.Id;

    /// <summary>Per-provider switches, keyed by provider id (Providers__builtin__Enabled=false).</summary>
    public Dictionary<string, ProviderSettings> Settings { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A provider as the API shows it: what it is, and whether jobs can be sent to it now.</summary>
public sealed record ProviderAvailability(ProviderDescriptor Provider, bool Available, string? UnavailableReason);

/// <summary>
/// The registry of providers and their models' capabilities. Requests are resolved and checked
/// against it, so a request no provider can honour is refused before it reaches a queue.
/// </summary>
public sealed class ProviderCatalog(IOptionsMonitor<ProviderCatalogOptions> options)
{
    private static readonly IReadOnlyList<ProviderDescriptor> Known = [BuiltinProvider.Descriptor];

    public IReadOnlyList<ProviderAvailability> All() => Known.Select(Availability).ToList();

    public ProviderAvailability? Find(string providerId)
    {
        var provider = Known.FirstOrDefault(p => string.Equals(p.Id, providerId, StringComparison.OrdinalIgnoreCase));
        return provider is null ? null : Availability(provider);
    }

    public string DefaultProviderId => options.CurrentValue.Default;

    /// <summary>Models whose id matches, across every provider (for "model" given without a provider).</summary>
    public IReadOnlyList<(ProviderDescriptor Provider, ModelDescriptor Model)> FindModel(string modelId) =>
        Known.SelectMany(p => p.Models.Select(m => (Provider: p, Model: m)))
            .Where(x => string.Equals(x.Model.Id, modelId, StringComparison.OrdinalIgnoreCase))
            .ToList();

    private ProviderAvailability Availability(ProviderDescriptor provider)
    {
        var enabled = !options.CurrentValue.Settings.TryGetValue(provider.Id, out var settings) || settings.Enabled;
        return new ProviderAvailability(provider, enabled, enabled ? null : $"Provider '{provider.Id}' is disabled by configuration (Providers:Settings:{provider.Id}:Enabled).");
    }
}
