namespace ImageGen.Generation.Providers.Catalog;

/// <summary>Every provider this build knows, one descriptor per file in this folder.</summary>
public static class ProviderDefinitions
{
    public static readonly IReadOnlyList<ProviderDescriptor> All =
    [
        BuiltinProvider.Descriptor,
        OpenAiProvider.Descriptor,
        StabilityProvider.Descriptor,
        HuggingFaceProvider.Descriptor,
        ArkProvider.Descriptor,
        GoogleProvider.Descriptor,
        CloudflareProvider.Descriptor,
        Automatic1111Provider.Descriptor,
        UnsplashProvider.Descriptor,
        DashScopeProvider.Descriptor,
        ReplicateProvider.Descriptor,
        FalProvider.Descriptor,
        KieProvider.Descriptor,
        LeonardoProvider.Descriptor,
        FireflyProvider.Descriptor,
        ComfyUiProvider.Descriptor,
    ];
}
