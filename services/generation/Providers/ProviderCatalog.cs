using ImageGen.Generation.Providers.Catalog;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Providers;

public sealed class ProviderSettings
{
    public bool Enabled { get; set; } = true;
}

public sealed class ProviderCatalogOptions
{
    public const string SectionName = "Providers";

    /// <summary>Provider used when a request names none.</summary>
    public string Default { get; set; } = BuiltinProvider.Id;

    /// <summary>Per-provider switches, keyed by provider id (Providers__Settings__openai__Enabled=false).</summary>
    public Dictionary<string, ProviderSettings> Settings { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A provider as the API shows it: what it is, and whether jobs can be sent to it now.</summary>
/// <param name="CredentialsConfigured">A running worker has its own key (or the provider needs none).</param>
public sealed record ProviderAvailability(ProviderDescriptor Provider, bool Enabled, bool WorkerRunning, bool CredentialsConfigured)
{
    public bool Available => Enabled && WorkerRunning && CredentialsConfigured;

    /// <summary>Whether a request that brings its own provider key can be served.</summary>
    public bool AvailableWithOwnKey => Enabled && WorkerRunning;

    public string? UnavailableReason =>
        !Enabled ? $"Provider '{Provider.Id}' is disabled by configuration (Providers:Settings:{Provider.Id}:Enabled)."
        : !WorkerRunning ? $"No worker for provider '{Provider.Id}' is running: its operator must start provider-{Provider.Id} (locally, add '{Provider.Id}' to Providers:Enabled in the AppHost, e.g. Providers__Enabled__1={Provider.Id})."
        : !CredentialsConfigured ? $"Provider '{Provider.Id}' has no credentials: set Providers:{Provider.Id}:ApiKey on its worker, or send your own key in the X-Provider-Key header."
        : null;
}

/// <summary>
/// The registry of providers and their models' capabilities. Requests are resolved and checked
/// against it, so a request no provider can honour is refused before it reaches a queue.
/// A provider is available when it is enabled and a worker for it has reported in recently.
/// </summary>
public sealed class ProviderCatalog(IOptionsMonitor<ProviderCatalogOptions> options, IProviderStatusSource status)
{
    public IReadOnlyList<ProviderAvailability> All() => ProviderDefinitions.All.Select(Availability).ToList();

    public ProviderAvailability? Find(string providerId)
    {
        var provider = ProviderDefinitions.All.FirstOrDefault(p => string.Equals(p.Id, providerId, StringComparison.OrdinalIgnoreCase));
        return provider is null ? null : Availability(provider);
    }

    public string DefaultProviderId => options.CurrentValue.Default;

    /// <summary>Models whose id matches, across every provider (for "model" given without a provider).</summary>
    public IReadOnlyList<(ProviderDescriptor Provider, ModelDescriptor Model)> FindModel(string modelId) =>
        ProviderDefinitions.All.SelectMany(p => p.Models.Select(m => (Provider: p, Model: m)))
            .Where(x => string.Equals(x.Model.Id, modelId, StringComparison.OrdinalIgnoreCase))
            .ToList();

    private ProviderAvailability Availability(ProviderDescriptor provider)
    {
        var enabled = !options.CurrentValue.Settings.TryGetValue(provider.Id, out var settings) || settings.Enabled;
        var workers = enabled ? status.Get(provider.Id) : [];
        var credentials = !provider.RequiresCredential || workers.Any(w => w.CredentialsConfigured);
        return new ProviderAvailability(provider, enabled, workers.Count > 0, credentials);
    }
}
