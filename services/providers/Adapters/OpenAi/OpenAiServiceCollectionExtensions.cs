using ImageGen.Providers.Adapters.OpenAi;

namespace Microsoft.Extensions.DependencyInjection;

public static class OpenAiServiceCollectionExtensions
{
    /// <summary>
    /// Registers the OpenAI Images adapter (provider id <c>openai</c>) and its HTTP client: key <c>Providers:openai:ApiKey</c>,
    /// base URL <c>Providers:openai:BaseUrl</c> (default https://api.openai.com/v1/, e.g. an Azure or proxy endpoint instead),
    /// <c>Providers:openai:Timeout</c>, and <c>Providers:openai:Options:Quality|Moderation</c>.
    /// </summary>
    public static IServiceCollection AddOpenAiProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<OpenAiAdapter>(OpenAiAdapter.Id, OpenAiAdapter.DefaultBaseUrl);
        return services;
    }
}
