using ImageGen.Providers.Adapters.Ark;

namespace Microsoft.Extensions.DependencyInjection;

public static class ArkServiceCollectionExtensions
{
    /// <summary>
    /// ByteDance Seedream through Volcengine Ark. Configuration: <c>Providers:ark:ApiKey</c> (an Ark API key),
    /// <c>Providers:ark:BaseUrl</c> (default Beijing, <c>https://ark.cn-beijing.volces.com/api/v3/</c>; BytePlus
    /// ModelArk: <c>https://ark.ap-southeast.bytepluses.com/api/v3/</c>), <c>Providers:ark:Options:Watermark</c> (default false).
    /// </summary>
    public static IServiceCollection AddArkProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<ArkAdapter>(ArkAdapter.Id, ArkAdapter.DefaultBaseUrl);
        return services;
    }
}
