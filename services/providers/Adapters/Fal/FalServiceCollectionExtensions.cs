using ImageGen.Providers.Adapters.Fal;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class FalServiceCollectionExtensions
{
    /// <summary>
    /// fal.ai's queue API (asynchronous: submitted by the consumer, polled by the poll scheduler, which this registers
    /// too; webhooks verified against fal's Ed25519 key set). Configuration: <c>Providers:fal:ApiKey</c>,
    /// <c>Providers:fal:BaseUrl</c> (default <c>https://queue.fal.run/</c>), <c>Providers:fal:Timeout</c>, and under
    /// <c>Providers:fal:Options:</c> <c>PollInterval</c> (1 s), <c>MaxPollInterval</c> (5 s), <c>WebhookPollInterval</c> (30 s),
    /// <c>EnableSafetyChecker</c> (true), <c>SafetyTolerance</c> (FLUX1.1 [pro], "2"), <c>JwksUrl</c>
    /// (<c>https://rest.fal.ai/.well-known/jwks.json</c>), <c>JwksCacheDuration</c> (12 h), <c>JwksRefreshInterval</c> (1 min),
    /// <c>WebhookTolerance</c> (5 min), <c>WebhookUserId</c> (unset: any fal account's webhook with a valid signature is read).
    /// </summary>
    public static IServiceCollection AddFalProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<FalAdapter>(FalAdapter.Id, FalAdapter.DefaultBaseUrl);
        // fal's key set is public: its own client, so the provider key is never near it.
        services.AddHttpClient(FalWebhookKeys.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(15));
        services.TryAddSingleton<FalWebhookKeys>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddProviderPolling();
        return services;
    }
}
