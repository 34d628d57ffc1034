using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

public static class ProviderHttpClientExtensions
{
    /// <summary>Retries of safe (read-only) requests: polls and downloads. Generations are never retried here.</summary>
    public const int ReadRetries = 3;

    /// <summary>
    /// Registers an adapter that calls its provider over HTTP, with its client (see <see cref="AddProviderHttpClient"/>).
    /// One line per provider in the worker's <c>Extensions.cs</c>. Adapters are singletons, all constructed in every
    /// worker process (the registry lists them), so their constructors must stay cheap.
    /// </summary>
    public static IHttpClientBuilder AddHttpProviderAdapter<TAdapter>(this IServiceCollection services, string providerId, Uri defaultBaseUrl)
        where TAdapter : class, IImageProviderAdapter
    {
        services.AddSingleton<IImageProviderAdapter, TAdapter>();
        return services.AddProviderHttpClient(providerId, defaultBaseUrl);
    }

    /// <summary>
    /// Registers the named <see cref="HttpClient"/> <paramref name="providerId"/> that an adapter calls its provider
    /// with (<c>IHttpClientFactory.CreateClient(providerId)</c>, once per call, since adapters are singletons):
    /// <list type="bullet">
    /// <item>base address <c>Providers:{id}:BaseUrl</c>, else <paramref name="defaultBaseUrl"/>, always ending in '/':
    /// request paths are relative and without a leading slash (<c>images/generations</c>);</item>
    /// <item>no retries of POST, PUT, PATCH or DELETE: a retried generation is paid twice, and whether to try
    /// again is the orchestrator's decision; GET and HEAD are retried on transient failures, honouring <c>Retry-After</c>;</item>
    /// <item><c>Providers:{id}:Timeout</c> (default 120 s) bounds each attempt and the whole call, reading the body included.</item>
    /// </list>
    /// </summary>
    public static IHttpClientBuilder AddProviderHttpClient(this IServiceCollection services, string providerId, Uri defaultBaseUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(providerId);
        ArgumentNullException.ThrowIfNull(defaultBaseUrl);
        services.AddProviderSettings();

        var builder = services.AddHttpClient(providerId, (sp, client) =>
        {
            var settings = sp.GetRequiredService<IOptionsMonitor<ProviderSettings>>().Get(providerId);
            client.BaseAddress = ProviderHttp.WithTrailingSlash(settings.BaseUrl ?? defaultBaseUrl);
            // The whole call, the body included: the resilience timeout below only covers the handlers.
            client.Timeout = settings.Timeout;
        });

        // The service defaults' standard handler retries every method, POST included, with a 10 s attempt
        // timeout that would cut a slow generation. EXTEXP0001: marked "for evaluation" in 10.0.
#pragma warning disable EXTEXP0001
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddResilienceHandler("provider", (pipeline, context) =>
        {
            var settings = context.ServiceProvider.GetRequiredService<IOptionsMonitor<ProviderSettings>>().Get(providerId);
            var retry = new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = ReadRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                ShouldRetryAfterHeader = true,
            };
            retry.DisableForUnsafeHttpMethods();
            pipeline.AddRetry(retry).AddTimeout(settings.Timeout);
        });
        return builder;
    }
}
