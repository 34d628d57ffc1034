using ImageGen.Providers.Adapters.Leonardo;

namespace Microsoft.Extensions.DependencyInjection;

public static class LeonardoServiceCollectionExtensions
{
    /// <summary>
    /// Leonardo.Ai (asynchronous: submitted by the consumer, polled by the poll scheduler, which this registers too, or woken
    /// by Leonardo's webhook). Configuration: <c>Providers:leonardo:ApiKey</c>, <c>Providers:leonardo:BaseUrl</c> (default
    /// <c>https://cloud.leonardo.ai/api/rest/v1/</c>), <c>Providers:leonardo:Timeout</c> (the attempt's deadline, default 10
    /// minutes), and under <c>Providers:leonardo:Options:</c> <c>PollInterval</c> (3 s), <c>WebhookPollInterval</c> (30 s),
    /// <c>WebhookSecret</c> (the webhook callback API key set on the Leonardo API key, whose webhook URL must be
    /// <c>{Webhooks:PublicBaseUrl}/v1/webhooks/leonardo</c>), <c>Contrast</c> (Phoenix: 3, 3.5 or 4; default 3.5),
    /// <c>AllowNsfw</c> (false: images Leonardo flags are dropped), <c>UsdPerCredit</c> (to report costs from credits).
    /// </summary>
    public static IServiceCollection AddLeonardoProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<LeonardoAdapter>(LeonardoAdapter.Id, LeonardoAdapter.DefaultBaseUrl);
        services.AddProviderPolling();
        return services;
    }
}
