using ImageGen.ServiceDefaults.Data;
using Npgsql;

namespace ImageGen.Generation.Data;

/// <summary>
/// Brings the schema up to date before anything else starts (hosted services start in order of
/// registration, and this one is registered first). Waits for the database if it is still starting.
/// </summary>
public sealed class DatabaseMigrator(NpgsqlDataSource dataSource, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await PostgresMigrator.MigrateAsync(dataSource, typeof(DatabaseMigrator).Assembly, logger, cancellationToken);
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && attempt < 30)
            {
                logger.LogWarning("Database not reachable yet ({Message}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
