using ImageGen.Providers.Adapters.Google;

namespace Microsoft.Extensions.DependencyInjection;

public static class GoogleServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Google adapter (Imagen 4 and Gemini image models) and its HTTP client. Configuration:
    /// <c>Providers:google:ApiKey</c>, <c>Providers:google:BaseUrl</c> (default <c>https://generativelanguage.googleapis.com/v1beta/</c>),
    /// <c>Providers:google:Timeout</c>, and for Imagen <c>Providers:google:Options:PersonGeneration</c>
    /// (<c>dont_allow</c> | <c>allow_adult</c> | <c>allow_all</c>) and <c>Providers:google:Options:ImageSize</c> (<c>1K</c> | <c>2K</c>).
    /// </summary>
    public static IServiceCollection AddGoogleProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<GoogleAdapter>(GoogleAdapter.Id, GoogleAdapter.DefaultBaseUrl);
        return services;
    }
}
