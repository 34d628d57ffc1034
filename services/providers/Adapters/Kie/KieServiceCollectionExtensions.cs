using ImageGen.Providers.Adapters.Kie;

namespace Microsoft.Extensions.DependencyInjection;

public static class KieServiceCollectionExtensions
{
    /// <summary>
    /// KIE.ai Flux Kontext (asynchronous: submitted by the consumer, polled by the poll scheduler, which this registers too;
    /// callbacks verified with KIE's HMAC). Configuration: <c>Providers:kie:ApiKey</c>, <c>Providers:kie:BaseUrl</c> (default
    /// <c>https://api.kie.ai/</c>), <c>Providers:kie:Timeout</c>, and under <c>Providers:kie:Options:</c> <c>PollInterval</c> (3 s),
    /// <c>MaxPollInterval</c> (10 s), <c>WebhookPollInterval</c> (30 s), <c>WebhookHmacKey</c> (the webhookHmacKey of KIE's settings
    /// page; without it no callback is asked for), <c>WebhookTolerance</c> (5 min), <c>SafetyTolerance</c> (2),
    /// <c>PromptUpsampling</c> (false), <c>EnableTranslation</c> (false), <c>UploadBaseUrl</c> (<c>https://kieai.redpandaai.co/</c>,
    /// where data-URI input images are uploaded).
    /// </summary>
    public static IServiceCollection AddKieProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<KieAdapter>(KieAdapter.Id, KieAdapter.DefaultBaseUrl);
        services.AddProviderPolling();
        return services;
    }
}
