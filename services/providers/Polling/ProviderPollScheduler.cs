using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Consumers;
using ImageGen.Providers.Credentials;
using ImageGen.Providers.Storage;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ImageGen.Providers.Polling;

/// <summary>
/// Polls the served provider's running tasks when they come due (<see cref="ProviderPollSchedule"/>), at most
/// <c>Provider:MaxConcurrency</c> at once, and ends each attempt the way the consumer would: images stored and
/// one outcome published. Idle in workers whose provider answers synchronously.
/// </summary>
/// <remarks>
/// No poll holds a thread between polls, and nothing is lost when a worker stops: a claimed task is leased,
/// and comes due again on any worker once the lease ends. An outcome is published before the task leaves the
/// schedule, so a crash between the two repeats the outcome rather than losing it; the orchestrator ignores
/// outcomes of attempts it has closed. Redis or storage being down delays polls; it never stops the worker.
/// </remarks>
public sealed partial class ProviderPollScheduler(
    ProviderAdapterRegistry adapters,
    ProviderPollSchedule schedule,
    ProviderCredentials credentials,
    IServiceScopeFactory scopes,
    IOptions<ProviderWorkerOptions> worker,
    IOptions<ProviderPollingOptions> polling,
    TimeProvider time,
    ILogger<ProviderPollScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var provider = worker.Value.Id;
        if (adapters.Find(provider) is not IAsyncImageProviderAdapter adapter)
        {
            return;
        }

        var options = polling.Value;
        var capacity = worker.Value.MaxConcurrency;
        using var slots = new SemaphoreSlim(capacity, capacity);
        var running = new List<Task>();
        LogStarted(provider, capacity);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // At least one slot free before claiming: a claimed task waits for nobody.
                await slots.WaitAsync(stoppingToken);
                slots.Release();
                var claimed = await schedule.ClaimDueAsync(provider, time.GetUtcNow(), options.Lease, Math.Min(slots.CurrentCount, options.ClaimBatch));
                foreach (var task in claimed)
                {
                    await slots.WaitAsync(stoppingToken);
                    running.RemoveAll(t => t.IsCompleted);
                    running.Add(RunAsync(task, adapter, slots, stoppingToken));
                }

                if (claimed.Count == 0)
                {
                    await Task.Delay(options.CheckInterval, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogScheduleUnavailable(ex, provider);
                try
                {
                    await Task.Delay(options.RetryDelay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        // Polls under way end with the stop; their leases hand them to the next worker.
        await Task.WhenAll(running);
    }

    private async Task RunAsync(PendingProviderTask task, IAsyncImageProviderAdapter adapter, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewing = RenewLeaseAsync(task, renewal.Token);
        try
        {
            await PollAsync(task, adapter, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Redis failed while recording the poll: the lease brings the task back.
            LogPollNotRecorded(ex, task.JobId, task.Attempt);
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
            slots.Release();
        }
    }

    /// <summary>Keeps a long poll (many or large images to store) from being claimed again by another worker meanwhile.</summary>
    private async Task RenewLeaseAsync(PendingProviderTask task, CancellationToken cancellationToken)
    {
        var lease = polling.Value.Lease;
        try
        {
            while (true)
            {
                await Task.Delay(lease / 3, time, cancellationToken);
                if (!await schedule.RenewLeaseAsync(task, time.GetUtcNow() + lease))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            // Redis is briefly unreachable: the poll goes on, at worst another worker polls the task too.
            LogLeaseNotRenewed(ex, task.JobId, task.Attempt);
        }
    }

    private async Task PollAsync(PendingProviderTask task, IAsyncImageProviderAdapter adapter, CancellationToken cancellationToken)
    {
        using var logScope = logger.BeginScope(new Dictionary<string, object>
        {
            ["JobId"] = task.JobId,
            ["Attempt"] = task.Attempt,
            ["Provider"] = task.Provider,
            ["ProviderTaskId"] = task.TaskId,
        });
        await using var scope = scopes.CreateAsyncScope();
        var outcomes = new OutcomePublisher(
            scope.ServiceProvider.GetRequiredService<IImageStore>(), scope.ServiceProvider.GetRequiredService<IPublishEndpoint>(), time);
        var now = time.GetUtcNow();
        if (now >= task.Deadline)
        {
            var waited = (now - task.StartedAt).TotalSeconds;
            LogTimedOut(task.PollCount, waited);
            await outcomes.FailedAsync(task.Identity, ErrorCodes.Timeout,
                $"{task.Provider} did not finish the task within {(task.Deadline - task.StartedAt).TotalSeconds:0} s.", retryable: true, cancellationToken);
            await schedule.RemoveAsync(task);
            return;
        }

        string? credential = null;
        try
        {
            credential = credentials.Resolve(task.SealedCredential, task.JobId, task.Provider, adapter);
            ProviderPollResult verdict;
            try
            {
                verdict = await adapter.PollAsync(
                    new ProviderPoll(task.JobId, task.Attempt, task.Model, task.TaskId, task.State, task.PollCount, task.StartedAt)
                    {
                        Credential = credential,
                        EstimatedCostUsd = task.EstimatedCostUsd,
                    },
                    cancellationToken);
            }
            catch (ProviderException ex) when (ex.Retryable)
            {
                // The question went unanswered, the task still runs at the provider: ask again later.
                LogPollFailed(ex.Code, ProviderMessage.Redact(ex.Message, credential));
                await RescheduleAsync(task with { PollCount = task.PollCount + 1 }, ex.RetryAfter ?? polling.Value.RetryDelay);
                return;
            }

            switch (verdict)
            {
                case ProviderPollResult.StillRunning pending:
                    await RescheduleAsync(task with { PollCount = task.PollCount + 1, State = pending.State ?? task.State }, pending.NextPollIn);
                    break;
                case ProviderPollResult.Done done:
                    var images = await outcomes.SucceededAsync(task.Identity, done.Result, cancellationToken);
                    await schedule.RemoveAsync(task);
                    LogSucceeded(images.Count, done.Result.Model, task.PollCount + 1, (time.GetUtcNow() - task.StartedAt).TotalMilliseconds);
                    break;
                case ProviderPollResult.Failure failure:
                    await FailAsync(task, outcomes, failure.Error, credential, cancellationToken);
                    break;
            }
        }
        catch (ProviderException ex)
        {
            await FailAsync(task, outcomes, ex, credential, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (GenerateImageConsumerDefinition.IsTransient(ex) && time.GetUtcNow() + polling.Value.RetryDelay < task.Deadline)
        {
            // Storage was briefly unreachable; the provider's result outlives the wait (DashScope keeps it 24 h).
            LogWillRetry(ex.GetType().Name);
            await RescheduleAsync(task, polling.Value.RetryDelay);
        }
        catch (Exception ex) when (ex is not RedisException)
        {
            var transient = GenerateImageConsumerDefinition.IsTransient(ex);
            LogUnexpected(ex, transient);
            await outcomes.FailedAsync(task.Identity, ErrorCodes.Internal,
                transient
                    ? "The image could not be stored because a service it needs was unavailable; try again shortly."
                    : "The worker failed unexpectedly while polling the provider or storing the image.",
                retryable: transient, cancellationToken);
            await schedule.RemoveAsync(task);
        }
    }

    private async Task FailAsync(PendingProviderTask task, OutcomePublisher outcomes, ProviderException failure, string? credential, CancellationToken cancellationToken)
    {
        var message = await outcomes.FailedAsync(task.Identity, failure, credential, cancellationToken);
        await schedule.RemoveAsync(task);
        LogProviderFailed(failure.Code, failure.Retryable, message);
    }

    private async Task RescheduleAsync(PendingProviderTask task, TimeSpan wait)
    {
        // Never beyond the deadline: the timeout is reported when it falls due, not at the next regular poll.
        var due = time.GetUtcNow() + wait;
        if (!await schedule.RescheduleAsync(task, due < task.Deadline ? due : task.Deadline, time.GetUtcNow()))
        {
            LogNoLongerScheduled();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Polling tasks of the provider {Provider}, {Capacity} at a time")]
    private partial void LogStarted(string provider, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The poll schedule of {Provider} could not be read; trying again shortly")]
    private partial void LogScheduleUnavailable(Exception exception, string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The poll of job {JobId} attempt {Attempt} could not be recorded; it comes due again after its lease")]
    private partial void LogPollNotRecorded(Exception exception, Guid jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease on job {JobId} attempt {Attempt} could not be renewed; another worker may poll it too")]
    private partial void LogLeaseNotRenewed(Exception exception, Guid jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {Count} image(s) from model {Model} after {Polls} poll(s), {ElapsedMs:F0} ms after the start")]
    private partial void LogSucceeded(int count, string model, int polls, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider failed with {ErrorCode} (retryable: {Retryable}): {Reason}")]
    private partial void LogProviderFailed(string errorCode, bool retryable, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll failed with {ErrorCode}; asking again later: {Reason}")]
    private partial void LogPollFailed(string errorCode, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The provider task timed out after {Polls} poll(s) and {Seconds:F0} s")]
    private partial void LogTimedOut(int polls, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transient {ExceptionType} while storing a polled result; trying again shortly")]
    private partial void LogWillRetry(string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "The task left the schedule while it was polled (completed by another worker)")]
    private partial void LogNoLongerScheduled();

    [LoggerMessage(Level = LogLevel.Error, Message = "Poll failed unexpectedly (transient: {Transient})")]
    private partial void LogUnexpected(Exception exception, bool transient);
}
