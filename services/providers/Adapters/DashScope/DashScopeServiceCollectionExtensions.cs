using ImageGen.Providers.Adapters.DashScope;

namespace Microsoft.Extensions.DependencyInjection;

public static class DashScopeServiceCollectionExtensions
{
    /// <summary>
    /// Alibaba DashScope Wan (asynchronous: submitted by the consumer, polled by the poll scheduler, which this
    /// registers too). Configuration: <c>Providers:dashscope:ApiKey</c>, <c>Providers:dashscope:BaseUrl</c> (default
    /// Singapore, <c>https://dashscope-intl.aliyuncs.com/api/v1/</c>; Beijing <c>https://dashscope.aliyuncs.com/api/v1/</c>;
    /// keys are per region), <c>Providers:dashscope:Timeout</c> (the attempt's deadline, default 10 minutes),
    /// <c>Providers:dashscope:Options:PollInterval</c> (5 s), <c>Options:MaxPollInterval</c> (10 s), <c>Options:Watermark</c>
    /// (false), <c>Options:PromptExtend</c> (the API's default when unset).
    /// </summary>
    public static IServiceCollection AddDashScopeProvider(this IServiceCollection services)
    {
        services.AddHttpProviderAdapter<DashScopeAdapter>(DashScopeAdapter.Id, DashScopeAdapter.DefaultBaseUrl);
        services.AddProviderPolling();
        return services;
    }
}
