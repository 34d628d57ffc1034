using ImageGen.Providers.Consumers;

namespace ImageGen.Providers.Polling;

/// <summary>
/// An attempt whose provider task is still running, as kept in Redis between polls: everything needed to
/// poll it from any worker instance and to publish its outcome, and nothing secret. The caller's own key
/// stays sealed exactly as it came in the command (bound to this job and provider); the worker's configured
/// key is looked up again at each poll.
/// </summary>
/// <param name="TaskId">The provider's id of the task.</param>
/// <param name="State">The adapter's opaque state for its next poll.</param>
/// <param name="PollCount">Polls made so far.</param>
/// <param name="Deadline">When the attempt fails with <c>timeout</c> if the provider has not finished.</param>
public sealed record PendingProviderTask(
    Guid JobId,
    int Attempt,
    string Owner,
    string Provider,
    string Model,
    DateTimeOffset RequestedAt,
    DateTimeOffset StartedAt,
    decimal? EstimatedCostUsd,
    string TaskId,
    string? State,
    string? SealedCredential,
    int PollCount,
    DateTimeOffset Deadline)
{
    /// <summary>The member of the provider's schedule: one per attempt, so a redelivered command replaces its own entry.</summary>
    public string Key => $"{JobId:N}:{Attempt}";

    public AttemptIdentity Identity => new(JobId, Attempt, Owner, Provider, Model, RequestedAt, StartedAt, EstimatedCostUsd);
}
