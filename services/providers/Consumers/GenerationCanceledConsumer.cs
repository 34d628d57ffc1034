using ImageGen.Contracts;
using ImageGen.Providers.Cancellation;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Consumers;

/// <summary>
/// Stops a canceled job's attempt: trips it if this process is running it, and takes a submitted
/// asynchronous task off the poll schedule and cancels it at the provider where its API allows that. Every
/// worker instance hears every cancel (each has its own temporary queue), since only one of them runs the attempt.
/// </summary>
public sealed partial class GenerationCanceledConsumer(
    InFlightAttempts inFlight,
    ProviderTaskCancellation tasks,
    IOptions<ProviderWorkerOptions> options,
    ILogger<GenerationCanceledConsumer> logger) : IConsumer<GenerationCanceled>
{
    public async Task Consume(ConsumeContext<GenerationCanceled> context)
    {
        var canceled = context.Message;
        if (!string.Equals(canceled.Provider, options.Value.Id, StringComparison.Ordinal))
        {
            return;
        }

        var stopped = inFlight.Cancel(canceled.JobId, canceled.Attempt);
        var unscheduled = await tasks.CancelAsync(canceled.Provider, canceled.JobId, canceled.Attempt, context.CancellationToken);
        if (stopped || unscheduled)
        {
            LogStopped(canceled.JobId, canceled.Attempt, stopped, unscheduled);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} attempt {Attempt} canceled by the caller (stopped here: {Stopped}, taken off the poll schedule: {Unscheduled})")]
    private partial void LogStopped(Guid jobId, int attempt, bool stopped, bool unscheduled);
}
