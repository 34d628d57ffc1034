using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Consumers;

/// <summary>Concurrency and retry of <see cref="GenerateImageConsumer"/> on its provider's queue.</summary>
public sealed class GenerateImageConsumerDefinition : ConsumerDefinition<GenerateImageConsumer>
{
    private readonly ProviderWorkerOptions _options;

    public GenerateImageConsumerDefinition(IOptions<ProviderWorkerOptions> options)
    {
        _options = options.Value;
        ConcurrentMessageLimit = _options.MaxConcurrency;
    }

    /// <summary>Failures worth another try in a moment: a service the worker depends on was briefly unreachable.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
            or StatusCode.ResourceExhausted or StatusCode.Aborted,
        RabbitMqConnectionException => true,
        _ => false,
    };

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<GenerateImageConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Prefetch no more than can run, so idle replicas of this worker get the rest of the queue.
        endpointConfigurator.PrefetchCount = _options.MaxConcurrency;
        if (_options.TransientRetries > 0)
        {
            consumerConfigurator.UseMessageRetry(r =>
            {
                r.Incremental(_options.TransientRetries, _options.TransientRetryDelay, _options.TransientRetryDelay);
                r.Handle<Exception>(IsTransient);
            });
        }
    }
}
