using ImageGen.Providers.Adapters;
using ImageGen.Providers.Credentials;
using ImageGen.Providers.Polling;

namespace ImageGen.Providers.Cancellation;

/// <summary>
/// Ends a canceled attempt's task at the provider: takes it off the poll schedule and, if this caller is the one
/// that took it, asks the provider to stop it (<see cref="IAsyncImageProviderAdapter.CancelAsync"/>), so a canceled
/// job stops costing money where the provider allows it.
/// </summary>
public sealed partial class ProviderTaskCancellation(
    ProviderAdapterRegistry adapters,
    ProviderCredentials credentials,
    ILogger<ProviderTaskCancellation> logger,
    ProviderPollSchedule? polls = null)
{
    /// <summary>True when the attempt's task was on the schedule (and is now off it).</summary>
    public async Task<bool> CancelAsync(string provider, Guid jobId, int attempt, CancellationToken cancellationToken)
    {
        if (polls is null || await polls.TakeAsync(provider, $"{jobId:N}:{attempt}") is not { } task)
        {
            return false;
        }

        if (adapters.Find(provider) is not IAsyncImageProviderAdapter adapter)
        {
            return true;
        }

        string? credential = null;
        try
        {
            credential = credentials.Resolve(task.SealedCredential, task.JobId, task.Provider, adapter);
            await adapter.CancelAsync(
                new ProviderPoll(task.JobId, task.Attempt, task.Model, task.TaskId, task.State, task.PollCount, task.StartedAt)
                {
                    Credential = credential,
                    EstimatedCostUsd = task.EstimatedCostUsd,
                },
                cancellationToken);
            LogCanceledAtProvider(task.TaskId);
        }
        catch (ProviderException ex)
        {
            // The job is canceled either way; the provider may still finish (and bill) the task.
            LogNotCanceledAtProvider(task.TaskId, ex.Code, ProviderMessage.Redact(ex.Message, credential));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogNotCanceledAtProvider(task.TaskId, "unreachable", ex.GetType().Name);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Asked the provider to stop task {ProviderTaskId}")]
    private partial void LogCanceledAtProvider(string providerTaskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The provider did not stop task {ProviderTaskId} ({ErrorCode}): {Reason}")]
    private partial void LogNotCanceledAtProvider(string providerTaskId, string errorCode, string reason);
}
