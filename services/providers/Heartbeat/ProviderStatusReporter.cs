using System.Security.Cryptography;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Credentials;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ImageGen.Providers.Heartbeat;

/// <summary>
/// Tells the orchestrator that this worker runs and whether it can authenticate: a JSON
/// <see cref="ProviderWorkerStatus"/> in the Redis hash <see cref="ProviderStatusKeys.For"/>, under a field
/// of its own, written on start and every <see cref="ProviderWorkerOptions.StatusReportInterval"/>, and
/// removed on a graceful stop. Redis being down never stops the worker: it keeps taking jobs and
/// reports again once Redis is back.
/// </summary>
public sealed partial class ProviderStatusReporter(
    IServiceProvider services,
    ProviderAdapterRegistry adapters,
    ProviderCredentials credentials,
    IOptions<ProviderWorkerOptions> options,
    TimeProvider time,
    ILogger<ProviderStatusReporter> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    // Fields of workers that died without removing theirs; long past FreshFor, so no reader counts them anyway.
    private static readonly TimeSpan PruneAfter = ProviderStatusKeys.FreshFor * 10;

    private bool _failing;

    /// <summary>This process's field in the hash: machine (pod) name, process id and a random part for restarts in one container.</summary>
    public string Instance { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    private string ProviderId => options.Value.Id;

    private string Key => ProviderStatusKeys.For(ProviderId);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (TryGetDatabase() is not { } database)
        {
            return;
        }

        try
        {
            await database.HashDeleteAsync(Key, Instance).WaitAsync(cancellationToken);
            LogRemoved(Key, Instance);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            // The report simply goes stale; readers ignore it after FreshFor.
            LogRemoveFailed(ex.GetType().Name);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Connecting to Redis may block for seconds; never hold up the host's start for it.
        await Task.Yield();
        using var timer = new PeriodicTimer(options.Value.StatusReportInterval, time);
        try
        {
            do
            {
                await ReportAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        var adapter = adapters.Find(ProviderId);
        var canAuthenticate = adapter is not null && credentials.CanAuthenticate(adapter);
        var status = new ProviderWorkerStatus(ProviderId, Instance, canAuthenticate, time.GetUtcNow(), Detail(adapter, canAuthenticate));
        try
        {
            var database = TryGetDatabase() ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "The Redis client could not be created.");
            await database.HashSetAsync(Key, Instance, JsonSerializer.Serialize(status, Json)).WaitAsync(cancellationToken);
            await PruneAsync(database, status.ReportedAt).WaitAsync(cancellationToken);
            if (_failing)
            {
                _failing = false;
                LogRecovered(Key);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // Once per outage as a warning, then quietly until it is over: a dead Redis must not flood the logs.
            if (!_failing)
            {
                _failing = true;
                LogReportFailed(ex, Key);
            }
            else
            {
                LogStillFailing(ex.GetType().Name);
            }
        }
    }

    private async Task PruneAsync(IDatabase database, DateTimeOffset now)
    {
        var stale = new List<RedisValue>();
        foreach (var entry in await database.HashGetAllAsync(Key))
        {
            try
            {
                if (entry.Name != Instance && JsonSerializer.Deserialize<ProviderWorkerStatus>(entry.Value.ToString(), Json) is { } other
                    && now - other.ReportedAt > PruneAfter)
                {
                    stale.Add(entry.Name);
                }
            }
            catch (JsonException)
            {
                // Not ours to judge: a newer worker version may write another shape.
            }
        }

        if (stale.Count > 0)
        {
            await database.HashDeleteAsync(Key, [.. stale]);
        }
    }

    private string? Detail(IImageProviderAdapter? adapter, bool canAuthenticate)
    {
        if (adapter is null)
        {
            return $"No adapter serves '{ProviderId}'.";
        }

        if (canAuthenticate)
        {
            return null;
        }

        var key = ProviderSettings.ApiKeyConfigurationKey(ProviderId);
        return credentials.AcceptsPerRequestKeys
            ? $"No API key configured ({key}); only jobs with a per-request key can run."
            : $"No API key configured ({key}), and per-request keys cannot be opened (Credentials:SealingKey is not set).";
    }

    // Resolved on use: creating the client is what fails when Redis is unreachable or not configured,
    // and neither may keep the worker from starting.
    private IDatabase? TryGetDatabase()
    {
        try
        {
            return services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        }
        catch (Exception ex) when (ex is RedisException or InvalidOperationException or ArgumentException)
        {
            LogNoClient(ex.GetType().Name, ex.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report this worker's status to Redis ({Key}); the orchestrator may list the provider as unavailable until Redis is back")]
    private partial void LogReportFailed(Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Status report still failing ({ExceptionType})")]
    private partial void LogStillFailing(string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reporting this worker's status to Redis ({Key}) again")]
    private partial void LogRecovered(string key);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No Redis client for status reports ({ExceptionType}: {Reason})")]
    private partial void LogNoClient(string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed this worker's status report {Instance} from {Key}")]
    private partial void LogRemoved(string key, string instance);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove this worker's status report on stop ({ExceptionType}); it will go stale")]
    private partial void LogRemoveFailed(string exceptionType);
}
