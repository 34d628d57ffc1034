using System.Collections.Concurrent;
using StackExchange.Redis;

namespace ImageGen.Generation.Notifications;

/// <summary>
/// Wakes requests that wait for a job (the OpenAI-compatible endpoint) when it ends. The outcome may
/// be consumed by another replica than the one holding the request, so completions are broadcast
/// over Redis pub/sub; a periodic database check covers a missed message.
/// </summary>
public sealed class JobCompletionNotifier(IConnectionMultiplexer redis, ILogger<JobCompletionNotifier> logger) : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("imagegen:jobs:completed");
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _waiters = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, value) =>
            {
                if (Guid.TryParse(value.ToString(), out var jobId))
                {
                    Wake(jobId);
                }
            });
        }
        catch (RedisException ex)
        {
            // Waiting requests still finish through the database re-check; only promptness suffers.
            logger.LogWarning(ex, "Could not subscribe to job completions in Redis; falling back to polling");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Announces that a job reached a terminal state, to every replica.</summary>
    public async Task PublishAsync(Guid jobId)
    {
        Wake(jobId);
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, jobId.ToString());
        }
        catch (RedisException ex)
        {
            logger.LogWarning(ex, "Could not announce completion of job {JobId} in Redis", jobId);
        }
    }

    /// <summary>Waits until <paramref name="isTerminal"/> says the job is done, or the timeout passes.</summary>
    public async Task<bool> WaitAsync(Guid jobId, TimeSpan timeout, Func<CancellationToken, Task<bool>> isTerminal, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var signal = _waiters.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                if (await isTerminal(deadline.Token))
                {
                    return true;
                }

                await Task.WhenAny(signal.Task, Task.Delay(RecheckInterval, deadline.Token));
                deadline.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            _waiters.TryRemove(jobId, out _);
        }
    }

    private void Wake(Guid jobId)
    {
        if (_waiters.TryRemove(jobId, out var signal))
        {
            signal.TrySetResult();
        }
    }
}
