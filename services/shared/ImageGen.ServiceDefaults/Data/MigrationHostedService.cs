using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImageGen.ServiceDefaults.Data;

/// <summary>
/// Brings a service's schema up to date before anything else in it starts (hosted services start in
/// order of registration: register this first). Waits for the database if it is still starting.
/// </summary>
/// <typeparam name="TMarker">A type in the assembly whose embedded <c>Migrations/*.sql</c> are applied.</typeparam>
public sealed class MigrationHostedService<TMarker>(NpgsqlDataSource dataSource, ILogger<MigrationHostedService<TMarker>> logger) : IHostedService
{
    private const int MaxAttempts = 30;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await PostgresMigrator.MigrateAsync(dataSource, typeof(TMarker).Assembly, logger, cancellationToken);
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && attempt < MaxAttempts)
            {
                logger.LogWarning("Database not reachable yet ({Message}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class MigrationExtensions
{
    /// <summary>Applies the migrations embedded next to <typeparamref name="TMarker"/> at start-up, before later hosted services.</summary>
    public static IServiceCollection AddPostgresMigrations<TMarker>(this IServiceCollection services) =>
        services.AddHostedService<MigrationHostedService<TMarker>>();
}
