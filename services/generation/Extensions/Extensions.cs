using ImageGen.ServiceDefaults.Data;
using ImageGen.Generation.Apis;
using ImageGen.Generation.Callbacks;
using ImageGen.Generation.Consumers;
using ImageGen.Generation.Data;
using ImageGen.Generation.Notifications;
using ImageGen.Generation.Providers;
using ImageGen.Generation.Resilience;
using ImageGen.Generation.Retries;
using ImageGen.Generation.Storage;
using ImageGen.Generation.Validation;
using ImageGen.ServiceDefaults.Messaging;
using ImageGen.ServiceDefaults.Security;
using ImageGen.Storage.Grpc;
using Microsoft.AspNetCore.HttpOverrides;

namespace ImageGen.Generation.Extensions;

public static class Extensions
{
    /// <summary>JSON bodies here are small; anything bigger is a mistake or an attack.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        // The outbox polls every few seconds; only commands run inside a request or message get traced,
        // so those polls do not bury real traces on the dashboard.
        builder.AddNpgsqlDataSource("imagegendb", configureDataSourceBuilder: b =>
            b.ConfigureTracing(o => o.ConfigureCommandFilter(_ => System.Diagnostics.Activity.Current is not null)));
        builder.AddRedisClient("redis");

        // Registered before the bus and the outbox dispatcher so the schema exists when they start.
        services.AddPostgresMigrations<JobRepository>();

        builder.AddMessaging(x => x.AddConsumer<JobOutcomeConsumer>(typeof(JobOutcomeConsumerDefinition)));

        services.AddOptions<GenerationOptions>()
            .Bind(builder.Configuration.GetSection(GenerationOptions.SectionName))
            .Validate(o => o.JobDeadline > TimeSpan.Zero && o.SweepInterval > TimeSpan.Zero, "Generation:JobDeadline and Generation:SweepInterval must be positive.")
            .ValidateOnStart();
        services.Configure<ProviderCatalogOptions>(builder.Configuration.GetSection(ProviderCatalogOptions.SectionName));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IProviderStatusSource, RedisProviderStatusSource>();
        services.AddSingleton<ProviderCatalog>();
        services.AddSingleton<CredentialSealer>();
        services.AddSingleton<JobRequestValidator>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<JobRepository>();
        services.AddSingleton<JobService>();
        services.AddOptions<RetryOptions>()
            .Bind(builder.Configuration.GetSection(RetryOptions.SectionName))
            .Validate(o => o.MaxAttempts is >= 1 and <= 10, $"{RetryOptions.SectionName}:MaxAttempts must be 1 to 10.")
            .Validate(o => o.BaseDelay > TimeSpan.Zero && o.MaxDelay >= o.BaseDelay, $"{RetryOptions.SectionName}:BaseDelay must be positive and at most MaxDelay.")
            .ValidateOnStart();
        services.AddSingleton<RetryPolicy>();
        services.AddHostedService<OutboxDispatcher>();
        services.AddHostedService<DeadlineSweeper>();
        services.AddOptions<CallbackOptions>()
            .Bind(builder.Configuration.GetSection(CallbackOptions.SectionName))
            .Validate(o => o.MaxAttempts is >= 1 and <= 20 && o.Timeout > TimeSpan.Zero, $"{CallbackOptions.SectionName}:MaxAttempts must be 1 to 20 and Timeout positive.")
            .ValidateOnStart();
        // Callbacks retry on their own schedule (minutes apart, recorded on the job), not through the default handler.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt a client out.
        services.AddHttpClient(CallbackDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => CallbackDispatcher.CreateHandler(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<CallbackOptions>>().Value))
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.AddHostedService<CallbackDispatcher>();

        // Circuit breakers shared by all replicas through Redis, and the operator's API over them.
        services.AddOptions<CircuitBreakerOptions>().Bind(builder.Configuration.GetSection(CircuitBreakerOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<CircuitBreakerOptions>, CircuitBreakerOptionsValidator>();
        services.AddSingleton<ICircuitBreakers, RedisCircuitBreakers>();
        services.Configure<AdminOptions>(builder.Configuration.GetSection(AdminOptions.SectionName));
        services.AddSingleton<JobCompletionNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<JobCompletionNotifier>());
        services.AddHttpContextAccessor();
        services.AddSingleton<PublicUrls>();
        services.AddSingleton<ImageReader>();

        // Streaming gRPC calls cannot be replayed, so the default HTTP retry handler is taken off.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt a client out.
        services.AddGrpcClient<ObjectStorage.ObjectStorageClient>(o =>
                o.Address = new Uri(builder.Configuration["Storage:GrpcAddress"] ?? "http://_grpc.storage"))
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = MaxRequestBodyBytes);

        // Generation is reached only through the gateway, whose X-Forwarded-* headers give the
        // scheme and host the client used: image URLs must point there.
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
        });

        // Routing answers some requests before any endpoint runs; give those a detail a person can act on too.
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Detail ??= ctx.ProblemDetails.Status switch
            {
                StatusCodes.Status415UnsupportedMediaType => "Send the request body as JSON with 'Content-Type: application/json'.",
                StatusCodes.Status405MethodNotAllowed => $"{ctx.HttpContext.Request.Method} is not allowed on {ctx.HttpContext.Request.Path}.",
                StatusCodes.Status404NotFound => $"No API at {ctx.HttpContext.Request.Path}.",
                _ => null,
            };
        });

        services.AddOpenApi();
        return builder;
    }
}
