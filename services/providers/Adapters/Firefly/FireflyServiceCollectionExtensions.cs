using ImageGen.Providers.Adapters.Firefly;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class FireflyServiceCollectionExtensions
{
    /// <summary>
    /// Adobe Firefly Services v3 (asynchronous: submitted by the consumer, polled by the poll scheduler, which this registers
    /// too; canceled jobs are canceled at Adobe). Configuration:
    /// <c>Providers:firefly:ApiKey</c> (the OAuth server-to-server client secret, or <c>client_id:client_secret</c>),
    /// <c>Providers:firefly:Options:ClientId</c> (needed when the key is the secret alone), <c>Options:ImsUrl</c> (default
    /// <c>https://ims-na1.adobelogin.com/ims/token/v3</c>), <c>Options:Scopes</c> (default
    /// <c>openid,AdobeID,session,additional_info,read_organizations,firefly_api,ff_apis</c>), <c>Providers:firefly:BaseUrl</c>
    /// (default <c>https://firefly-api.adobe.io/</c>), <c>Providers:firefly:Timeout</c> (the attempt's deadline, default 10 minutes),
    /// <c>Options:ContentClass</c> (photo | art; Firefly decides when unset), <c>Options:PromptBiasingLocaleCode</c> (e.g. en-US),
    /// <c>Options:PollInterval</c> (2 s) and <c>Options:MaxPollInterval</c> (5 s). A per-request key is <c>client_id:client_secret</c>.
    /// </summary>
    public static IServiceCollection AddFireflyProvider(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ImsTokenCache>();
        services.AddHttpProviderAdapter<FireflyAdapter>(FireflyAdapter.Id, FireflyAdapter.DefaultBaseUrl);
        services.AddProviderPolling();
        return services;
    }
}
