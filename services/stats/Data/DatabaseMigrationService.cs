using ImageGen.ServiceDefaults.Data;
using Npgsql;

namespace ImageGen.Stats.Data;

/// <summary>Brings the statistics schema up to date before anything else in the service starts.</summary>
internal sealed class DatabaseMigrationService(NpgsqlDataSource dataSource, ILogger<DatabaseMigrationService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        PostgresMigrator.MigrateAsync(dataSource, typeof(DatabaseMigrationService).Assembly, logger, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
