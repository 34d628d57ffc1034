using ImageGen.Providers.Adapters.Cloudflare;

namespace Microsoft.Extensions.DependencyInjection;

public static class CloudflareServiceCollectionExtensions
{
    /// <summary>
    /// Cloudflare Workers AI. Configuration: <c>Providers:cloudflare:ApiKey</c> (an API token with Workers AI access),
    /// <c>Providers:cloudflare:Options:AccountId</c> (required), <c>Providers:cloudflare:BaseUrl</c>
    /// (default <c>https://api.cloudflare.com/client/v4/</c>).
    /// </summary>
    public static IServiceCollection AddCloudflareProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<CloudflareAdapter>(CloudflareAdapter.Id, CloudflareAdapter.DefaultBaseUrl);
        return services;
    }
}
