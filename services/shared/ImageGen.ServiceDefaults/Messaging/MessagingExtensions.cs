using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ImageGen.ServiceDefaults.Messaging;

public static class MessagingExtensions
{
    /// <summary>Connection name of the RabbitMQ broker, as in <c>ConnectionStrings:messaging</c>.</summary>
    public const string ConnectionName = "messaging";

    /// <summary>
    /// Registers MassTransit over RabbitMQ from the <c>messaging</c> connection string
    /// (<c>amqp://user:password@host:port/vhost</c>), with kebab-case endpoint names.
    /// <paramref name="configure"/> adds the service's consumers; <paramref name="configureBus"/>
    /// may add receive endpoints the conventions do not cover (per-provider queues).
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? configure = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureBus = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString) || !Uri.TryCreate(connectionString, UriKind.Absolute, out var brokerUri))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionName} must be an AMQP URI such as amqp://user:password@127.0.0.1:5672/ (got '{(string.IsNullOrWhiteSpace(connectionString) ? "nothing" : "an unparseable value")}').");
        }

        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            configure?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(brokerUri);
                configureBus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }
}
