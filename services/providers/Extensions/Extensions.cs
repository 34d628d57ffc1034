using ImageGen.Contracts;
using ImageGen.Providers;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Builtin;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Apis;
using ImageGen.Providers.Cancellation;
using ImageGen.Providers.Consumers;
using ImageGen.Providers.Credentials;
using ImageGen.Providers.Heartbeat;
using ImageGen.Providers.Storage;
using ImageGen.ServiceDefaults.Messaging;
using ImageGen.ServiceDefaults.Security;
using ImageGen.Storage.Grpc;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var providerSection = builder.Configuration.GetSection(ProviderWorkerOptions.SectionName);
        services.AddOptions<ProviderWorkerOptions>()
            .Bind(providerSection)
            .ValidateDataAnnotations()
            .Validate(o => o.StatusReportInterval > TimeSpan.Zero && o.StatusReportInterval <= ProviderStatusKeys.FreshFor / 2,
                $"Provider:StatusReportInterval must be positive and at most half of {ProviderStatusKeys.FreshFor.TotalSeconds:0} s, or reports go stale between writes.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProviderWorkerOptions>, ServedProviderValidator>();
        services.AddOptions<StorageOptions>()
            .Bind(builder.Configuration.GetSection(StorageOptions.SectionName))
            .Validate(o => o.UploadTimeout > TimeSpan.Zero, "Storage:UploadTimeout must be positive.")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);

        // Read here, not through options: the queue name is fixed when the bus is configured.
        var providerId = providerSection.Get<ProviderWorkerOptions>()?.Id ?? new ProviderWorkerOptions().Id;

        // Providers:{id} for every id; the served provider's settings are checked before the first job, and
        // follow configuration reloads (a rotated key mounted as a file needs no restart).
        services.AddProviderSettings();
        services.AddOptions<ProviderSettings>(providerId).ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<ProviderSettings>>(
            new ConfigurationChangeTokenSource<ProviderSettings>(providerId, builder.Configuration.GetSection(ProviderSettings.SectionFor(providerId))));
        services.AddSingleton<CredentialSealer>();
        services.AddSingleton<ProviderCredentials>();

        services.AddOptions<ResultFetchOptions>()
            .Bind(builder.Configuration.GetSection(ResultFetchOptions.SectionName))
            .Validate(o => o.MaxBytes > 0, $"{ResultFetchOptions.SectionName}:MaxBytes must be positive.")
            .Validate(o => o.Timeout > TimeSpan.Zero, $"{ResultFetchOptions.SectionName}:Timeout must be positive.")
            .Validate(o => o.Retries is >= 0 and <= 5, $"{ResultFetchOptions.SectionName}:Retries must be 0 to 5.")
            .ValidateOnStart();
        services.AddSingleton<ResultImageFetcher>();

        // Every adapter this build knows; Provider:Id picks the one this process serves.
        services.AddSingleton<IImageProviderAdapter, BuiltinProviderAdapter>();
        services.AddOpenAiProvider();
        services.AddStabilityProvider();
        services.AddHuggingFaceProvider();
        services.AddArkProvider();
        services.AddGoogleProvider();
        services.AddCloudflareProvider();
        services.AddAutomatic1111Provider();
        services.AddUnsplashProvider();
        services.AddDashScopeProvider();
        services.AddReplicateProvider();
        services.AddFalProvider();
        services.AddKieProvider();
        services.AddLeonardoProvider();
        services.AddFireflyProvider();
        services.AddComfyUiProvider();
        services.AddSingleton<ProviderAdapterRegistry>();

        // The orchestrator lists a provider as available from these reports. Without Redis the worker still
        // takes jobs: the client reconnects in the background instead of failing to start, a report fails at
        // once instead of queueing (the next one is due in seconds anyway), and no health check ties the
        // worker's readiness to Redis.
        builder.AddRedisClient("redis", s => s.DisableHealthChecks = true, o =>
        {
            o.AbortOnConnectFail = false;
            o.BacklogPolicy = BacklogPolicy.FailFast;
        });
        services.AddHostedService<ProviderStatusReporter>();

        var storageClient = services.AddGrpcClient<ObjectStorage.ObjectStorageClient>(
            (sp, o) => o.Address = sp.GetRequiredService<IOptions<StorageOptions>>().Value.GrpcAddress);

        // The service defaults give every HttpClient the standard resilience handler. A client-streaming
        // upload cannot go through it: a retry cannot replay the stream, and its 10 s attempt timeout
        // would cut large uploads. Transient failures are retried per command instead (see the consumer
        // definition). Service discovery stays: it is a separate handler.
        // EXTEXP0001: the API is marked "for evaluation" in Microsoft.Extensions.Http.Resilience 10.0.
#pragma warning disable EXTEXP0001
        storageClient.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        // Scoped like the consumer: gRPC clients from the factory are transient so their handlers can be recycled.
        services.AddScoped<IImageStore, ImageStore>();

        services.AddSingleton<InFlightAttempts>();
        services.AddSingleton<ProviderTaskCancellation>();
        services.AddOptions<WebhookOptions>()
            .Bind(builder.Configuration.GetSection(WebhookOptions.SectionName))
            .Validate(o => o.PublicBaseUrl is null || (o.PublicBaseUrl.IsAbsoluteUri && o.PublicBaseUrl.Scheme is "https" or "http"),
                $"{WebhookOptions.SectionName}:PublicBaseUrl must be an absolute http(s) URL.")
            .Validate(o => o.MaxBodyBytes > 0, $"{WebhookOptions.SectionName}:MaxBodyBytes must be positive.")
            .ValidateOnStart();
        builder.AddMessaging(
            x =>
            {
                x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>()
                    // Only on the provider's own queue, never also on a conventionally named one.
                    .ExcludeFromConfigureEndpoints();
                x.AddConsumer<GenerationCanceledConsumer>().ExcludeFromConfigureEndpoints();
            },
            (context, cfg) =>
            {
                cfg.ReceiveEndpoint(ProviderQueues.For(providerId), e =>
                {
                    // Commands are sent to this queue by name. Binding it to the GenerateImage exchange as well
                    // would hand every published command to every provider's worker.
                    e.ConfigureConsumeTopology = false;
                    e.ConfigureConsumer<GenerateImageConsumer>(context);
                });

                // A queue of this process's own (deleted when it stops): only the instance running an
                // attempt can stop it, so every instance must hear every cancel.
                cfg.ReceiveEndpoint(new TemporaryEndpointDefinition($"{ProviderQueues.For(providerId)}-cancellations"), e =>
                    e.ConfigureConsumer<GenerationCanceledConsumer>(context));
            });
    }

    /// <summary>Refuses to start a worker for a provider no adapter implements, instead of failing every command.</summary>
    private sealed class ServedProviderValidator(ProviderAdapterRegistry adapters) : IValidateOptions<ProviderWorkerOptions>
    {
        public ValidateOptionsResult Validate(string? name, ProviderWorkerOptions options) =>
            adapters.Find(options.Id) is null
                ? ValidateOptionsResult.Fail(
                    $"Provider:Id is '{options.Id}', but this worker has adapters only for: {string.Join(", ", adapters.ProviderIds.Order(StringComparer.Ordinal))}.")
                : ValidateOptionsResult.Success;
    }
}
