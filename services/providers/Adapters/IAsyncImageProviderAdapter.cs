using System.Text;

namespace ImageGen.Providers.Adapters;

/// <summary>
/// A provider that works as a task: the adapter submits it, and the worker asks about it later at the
/// provider's cadence instead of holding a thread (and a queue slot) while it runs. Between polls the
/// task lives in a durable schedule (<see cref="Polling.ProviderPollSchedule"/>), so a worker that stops
/// or dies loses nothing: another one polls it.
/// </summary>
/// <remarks>
/// <see cref="IImageProviderAdapter.GenerateAsync"/> stays the way to call the provider in one go (tests,
/// tools); the worker uses <see cref="SubmitAsync"/> and <see cref="PollAsync"/> instead. Both must be safe
/// to call on any worker instance: everything a poll needs is in <see cref="ProviderPoll"/>.
/// </remarks>
public interface IAsyncImageProviderAdapter : IImageProviderAdapter
{
    /// <summary>Starts the work; throws a <see cref="ProviderException"/> when the provider refuses it.</summary>
    Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Asks about a submitted task. The provider's verdict on the task comes back as a result
    /// (<see cref="ProviderPollResult.Failed"/> included); a thrown <see cref="ProviderException"/> means the
    /// question could not be answered: a retryable one is asked again later, any other ends the attempt.
    /// </summary>
    Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the provider to stop a task whose job was canceled, where its API allows that (the default does
    /// nothing). Called once per canceled task, by the worker instance that took it off the schedule; best
    /// effort: a failure is logged, and the attempt stays canceled either way.
    /// </summary>
    Task CancelAsync(ProviderPoll task, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What a submission gave: the finished result (some providers answer at once), or a task to poll.</summary>
public sealed record ProviderSubmission
{
    private ProviderSubmission(ProviderResult? result, string? taskId, string? state, TimeSpan nextPollIn)
    {
        Result = result;
        TaskId = taskId;
        State = state;
        NextPollIn = nextPollIn;
    }

    /// <summary>The images, when the provider finished within the submission.</summary>
    public ProviderResult? Result { get; }

    /// <summary>The provider's id of the task, when it still runs.</summary>
    public string? TaskId { get; }

    /// <summary>Anything else the adapter wants back at poll time (opaque to the worker; stored in Redis, so never a secret).</summary>
    public string? State { get; }

    /// <summary>When to ask first.</summary>
    public TimeSpan NextPollIn { get; }

    public static ProviderSubmission Completed(ProviderResult result) =>
        new(result ?? throw new ArgumentNullException(nameof(result)), null, null, TimeSpan.Zero);

    public static ProviderSubmission Pending(string taskId, TimeSpan nextPollIn, string? state = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        return new(null, taskId, state, nextPollIn < TimeSpan.Zero ? TimeSpan.Zero : nextPollIn);
    }
}

/// <summary>One question about a submitted task, with what the adapter needs to ask it on any worker.</summary>
/// <param name="PollCount">How many polls came before this one (0 for the first).</param>
public sealed record ProviderPoll(
    Guid JobId,
    int Attempt,
    string Model,
    string TaskId,
    string? State,
    int PollCount,
    DateTimeOffset SubmittedAt)
{
    /// <summary>The secret to ask with, resolved for this poll exactly as for the submission; never stored anywhere.</summary>
    public string? Credential { get; init; }

    /// <summary>What the catalog expects the attempt to cost.</summary>
    public decimal? EstimatedCostUsd { get; init; }

    public string RequireCredential() =>
        Credential is { Length: > 0 } credential
            ? credential
            : throw ProviderException.Authentication("No API key is available for this provider.");

    // Records print every property; the credential must never reach a log line through ToString.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"JobId = {JobId}, Attempt = {Attempt}, Model = {Model}, TaskId = {TaskId}, State = {State}, PollCount = {PollCount}, ");
        builder.Append($"SubmittedAt = {SubmittedAt:O}, Credential = {(Credential is null ? "none" : "[redacted]")}, EstimatedCostUsd = {EstimatedCostUsd}");
        return true;
    }
}

/// <summary>The provider's verdict on a task: still running, done, or failed.</summary>
public abstract record ProviderPollResult
{
    private ProviderPollResult()
    {
    }

    public static ProviderPollResult Pending(TimeSpan nextPollIn, string? state = null) =>
        new StillRunning(nextPollIn < TimeSpan.Zero ? TimeSpan.Zero : nextPollIn, state);

    public static ProviderPollResult Completed(ProviderResult result) => new Done(result ?? throw new ArgumentNullException(nameof(result)));

    public static ProviderPollResult Failed(ProviderException failure) => new Failure(failure ?? throw new ArgumentNullException(nameof(failure)));

    /// <param name="State">A new opaque state for the next poll, or null to keep the current one.</param>
    public sealed record StillRunning(TimeSpan NextPollIn, string? State) : ProviderPollResult;

    public sealed record Done(ProviderResult Result) : ProviderPollResult;

    public sealed record Failure(ProviderException Error) : ProviderPollResult;
}

public static class AsyncImageProviderAdapterExtensions
{
    /// <summary>
    /// Submits and polls in one call, holding the caller until the task ends, at the cadence the adapter asks for:
    /// <see cref="IImageProviderAdapter.GenerateAsync"/> of an asynchronous adapter (tools, tests). The worker never
    /// waits like this; it keeps the task on its schedule.
    /// </summary>
    public static async Task<ProviderResult> SubmitAndPollAsync(
        this IAsyncImageProviderAdapter adapter, ProviderRequest request, TimeProvider time, CancellationToken cancellationToken)
    {
        var submission = await adapter.SubmitAsync(request, cancellationToken);
        if (submission.Result is { } immediate)
        {
            return immediate;
        }

        var submittedAt = time.GetUtcNow();
        var wait = submission.NextPollIn;
        var state = submission.State;
        for (var polls = 0; ; polls++)
        {
            await Task.Delay(wait, time, cancellationToken);
            var verdict = await adapter.PollAsync(
                new ProviderPoll(request.JobId, request.Attempt, request.Model, submission.TaskId!, state, polls, submittedAt)
                {
                    Credential = request.Credential,
                    EstimatedCostUsd = request.EstimatedCostUsd,
                },
                cancellationToken);
            switch (verdict)
            {
                case ProviderPollResult.Done done:
                    return done.Result;
                case ProviderPollResult.Failure failure:
                    throw failure.Error;
                case ProviderPollResult.StillRunning running:
                    wait = running.NextPollIn;
                    state = running.State ?? state;
                    break;
            }
        }
    }
}
