using ImageGen.Providers.Polling;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

public static class PollingServiceCollectionExtensions
{
    /// <summary>
    /// The poll schedule and its scheduler, for adapters that implement <see cref="ImageGen.Providers.Adapters.IAsyncImageProviderAdapter"/>.
    /// Idempotent: each asynchronous adapter's registration calls it. Needs an <c>IConnectionMultiplexer</c> (the worker's Redis).
    /// Configuration: <c>Provider:Polling:Lease|CheckInterval|RetryDelay|ClaimBatch</c>; the attempt's deadline is <c>Providers:{id}:Timeout</c>
    /// (default 10 minutes for asynchronous providers).
    /// </summary>
    public static IServiceCollection AddProviderPolling(this IServiceCollection services)
    {
        services.AddOptions<ProviderPollingOptions>()
            .BindConfiguration(ProviderPollingOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Lease > TimeSpan.Zero && o.CheckInterval > TimeSpan.Zero && o.RetryDelay > TimeSpan.Zero,
                $"{ProviderPollingOptions.SectionName}:Lease, CheckInterval and RetryDelay must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton<ProviderPollSchedule>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProviderPollScheduler>());
        return services;
    }
}
