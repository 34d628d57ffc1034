using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImageGen.Storage.Objects;

/// <summary>Ready only while the root takes writes: a full or read-only volume must take the replica out of rotation.</summary>
public sealed class StorageRootHealthCheck(FileSystemObjectStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.ProbeWritableAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The storage root '{store.RootPath}' is not writable.", ex);
        }
    }
}

/// <summary>
/// Creates the store at startup, so a root that cannot be created stops the process with a clear
/// message instead of failing every request later.
/// </summary>
public sealed class StorageRootInitializer(FileSystemObjectStore store, ILogger<StorageRootInitializer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Storing objects under {RootPath}", store.RootPath);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
