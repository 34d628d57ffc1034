namespace ImageGen.Generation.Providers.Catalog;

/// <summary>Every provider this build knows, one descriptor per file in this folder.</summary>
public static class ProviderDefinitions
{
    public static readonly IReadOnlyList<ProviderDescriptor> All =
    [
        BuiltinProvider.Descriptor,
    ];
}
