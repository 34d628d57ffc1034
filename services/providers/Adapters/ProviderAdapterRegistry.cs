namespace ImageGen.Providers.Adapters;

/// <summary>Every adapter registered in DI, by provider id.</summary>
public sealed class ProviderAdapterRegistry
{
    private readonly Dictionary<string, IImageProviderAdapter> _adapters;

    public ProviderAdapterRegistry(IEnumerable<IImageProviderAdapter> adapters)
    {
        _adapters = new Dictionary<string, IImageProviderAdapter>(StringComparer.Ordinal);
        foreach (var adapter in adapters)
        {
            if (!_adapters.TryAdd(adapter.ProviderId, adapter))
            {
                throw new InvalidOperationException($"Two adapters claim the provider id '{adapter.ProviderId}'.");
            }
        }
    }

    public IReadOnlyCollection<string> ProviderIds => _adapters.Keys;

    public IImageProviderAdapter? Find(string providerId) => _adapters.GetValueOrDefault(providerId);
}
