using ImageGen.Providers.Adapters.Replicate;

namespace Microsoft.Extensions.DependencyInjection;

public static class ReplicateServiceCollectionExtensions
{
    /// <summary>
    /// Replicate's FLUX models (asynchronous with <c>Prefer: wait</c>: most predictions finish within the submission;
    /// the rest are polled by the poll scheduler, which this registers too, or woken by Replicate's webhook).
    /// Configuration: <c>Providers:replicate:ApiKey</c> (an <c>r8_…</c> token), <c>Providers:replicate:BaseUrl</c>
    /// (default <c>https://api.replicate.com/v1/</c>), <c>Providers:replicate:Timeout</c> (the attempt's deadline, default
    /// 10 minutes; each HTTP call too, so keep it above <c>PreferWait</c>), and under <c>Providers:replicate:Options:</c>
    /// <c>PreferWait</c> (seconds the submission waits, 1-60, 0 for none; default 60), <c>PollInterval</c> (2 s),
    /// <c>MaxPollInterval</c> (5 s), <c>WebhookPollInterval</c> (30 s, the safety-net poll of webhooked predictions),
    /// <c>WebhookSecret</c> (<c>whsec_…</c>; unset, it is fetched with the API key), <c>WebhookTolerance</c> (00:05:00),
    /// <c>SafetyTolerance</c> (FLUX 1.1 [pro], 1-6; Replicate's default 2 when unset).
    /// </summary>
    public static IServiceCollection AddReplicateProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<ReplicateAdapter>(ReplicateAdapter.Id, ReplicateAdapter.DefaultBaseUrl);
        services.AddProviderPolling();
        return services;
    }
}
