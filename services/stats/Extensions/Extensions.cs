using ImageGen.ServiceDefaults.Data;
using ImageGen.ServiceDefaults.Messaging;
using ImageGen.Stats.Consumers;
using ImageGen.Stats.Data;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageGen.Stats;

public static class Extensions
{
    /// <summary>Connection name of the statistics database, as in <c>ConnectionStrings:statsdb</c>.</summary>
    public const string DatabaseConnectionName = "statsdb";

    /// <summary>Configuration key of the queue the outcome events are read from.</summary>
    public const string OutcomesQueueKey = "Stats:OutcomesQueue";

    /// <summary>
    /// Default queue name. Prefixed with the service so it never collides with another service's
    /// consumer of the same events: RabbitMQ would then split the events between the two.
    /// </summary>
    public const string DefaultOutcomesQueue = "stats-generation-outcomes";

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(DatabaseConnectionName);

        // Hosted services start in registration order and before the server listens: registering the
        // migration ahead of MassTransit means no consumer and no request ever sees a missing table.
        builder.Services.AddPostgresMigrations<OutcomeStore>();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OutcomeStore>();
        builder.Services.AddSingleton<StatsReader>();

        var outcomesQueue = builder.Configuration[OutcomesQueueKey];
        if (string.IsNullOrWhiteSpace(outcomesQueue))
        {
            outcomesQueue = DefaultOutcomesQueue;
        }

        builder.AddMessaging(x => x
            .AddConsumer<GenerationOutcomeConsumer>(typeof(GenerationOutcomeConsumerDefinition))
            .Endpoint(e => e.Name = outcomesQueue));

        builder.Services.AddOpenApi();
        return builder;
    }
}
