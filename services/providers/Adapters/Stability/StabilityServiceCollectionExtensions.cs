using ImageGen.Providers.Adapters.Stability;

namespace Microsoft.Extensions.DependencyInjection;

public static class StabilityServiceCollectionExtensions
{
    /// <summary>
    /// The Stability AI adapter and its HTTP client. Configuration: <c>Providers:stability:ApiKey</c> (sk-…),
    /// <c>Providers:stability:BaseUrl</c> (default https://api.stability.ai/), <c>Providers:stability:Timeout</c>.
    /// </summary>
    public static IServiceCollection AddStabilityProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<StabilityAdapter>(StabilityAdapter.Id, StabilityAdapter.DefaultBaseUrl);
        return services;
    }
}
