using MassTransit;
using Npgsql;

namespace ImageGen.Stats.Consumers;

/// <summary>
/// Endpoint policy for outcome events. The queue name is set at registration (configurable), so it is
/// deliberately not set here: a definition's own name would override it.
/// </summary>
public sealed class GenerationOutcomeConsumerDefinition : ConsumerDefinition<GenerationOutcomeConsumer>
{
    public GenerationOutcomeConsumerDefinition()
    {
        // Each message is one short INSERT; more in flight than this only queues on the connection pool.
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<GenerationOutcomeConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Ride out a database failover or restart (about half a minute in all). Only transient errors are
        // retried: a constraint violation or a malformed event fails the same way every time and goes
        // straight to the _error queue, where it can be inspected and moved back.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<NpgsqlException>(e => e.IsTransient);
            r.Handle<TimeoutException>();
            r.Exponential(6, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(500));
        });
    }
}
