using ImageGen.Providers.Adapters.Unsplash;

namespace Microsoft.Extensions.DependencyInjection;

public static class UnsplashServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Unsplash stock-photo adapter and its HTTP client. Configuration: <c>Providers:unsplash:ApiKey</c>
    /// (the application's Access Key, sent as <c>Authorization: Client-ID …</c>), <c>Providers:unsplash:BaseUrl</c>
    /// (default <c>https://api.unsplash.com/</c>), <c>Providers:unsplash:Timeout</c>, and
    /// <c>Providers:unsplash:Options:AppName</c> (the <c>utm_source</c> of attribution links, default <c>imagegen</c>).
    /// Photos come from <c>images.unsplash.com</c>, a public host the result fetcher reaches without configuration.
    /// </summary>
    public static IServiceCollection AddUnsplashProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<UnsplashAdapter>(UnsplashAdapter.Id, UnsplashAdapter.DefaultBaseUrl);
        return services;
    }
}
