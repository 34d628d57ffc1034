using ImageGen.Contracts;
using ImageGen.Generation.Data;
using ImageGen.Generation.Notifications;
using ImageGen.Generation.Model;
using ImageGen.Generation.Resilience;
using ImageGen.Generation.Retries;
using MassTransit;
using Npgsql;

namespace ImageGen.Generation.Consumers;

/// <summary>
/// Moves jobs along as workers report on them. Each transition is a conditional update, so a
/// redelivered or late event changes nothing: a job reaches its terminal state exactly once.
/// </summary>
public sealed class JobOutcomeConsumer(
    JobRepository jobs, JobCompletionNotifier notifier, RetryPolicy retries, ICircuitBreakers circuits, TimeProvider clock, ILogger<JobOutcomeConsumer> logger) :
    IConsumer<ImageGenerationStarted>,
    IConsumer<ImageGenerationSucceeded>,
    IConsumer<ImageGenerationFailed>,
    IConsumer<Fault<GenerateImage>>
{
    /// <summary>
    /// The policy's next step, past routes whose circuit is open: a retry on a provider that just opened its circuit
    /// becomes a fallback, and a fallback skips a provider that is out of rotation.
    /// </summary>
    private async Task<(JobRoute Route, TimeSpan Delay)?> NextAttemptAsync(JobRouting routing, ImageGenerationFailed failed, CancellationToken cancellationToken)
    {
        var next = retries.NextAttempt(routing, failed);
        var routes = routing.Routes;
        while (next is var (route, delay))
        {
            // A retry after a wait is checked when it is decided; the half-open probe it may take is short-lived.
            if (await circuits.TryAcquireAsync(route.Provider, route.Model, cancellationToken))
            {
                return (route, delay);
            }

            var index = routes.ToList().FindIndex(r => r.Provider == route.Provider && r.Model == route.Model);
            next = index >= 0 && index + 1 < routes.Count && RetryPolicy.OtherProvidersMayDoBetter(failed.ErrorCode)
                ? (routes[index + 1], TimeSpan.Zero)
                : null;
        }

        return null;
    }

    /// <summary>
    /// A command a worker could not process at all (it threw past its retries; MassTransit moved it to the queue's
    /// <c>_error</c> queue): the job fails visibly instead of waiting for its deadline.
    /// </summary>
    public async Task Consume(ConsumeContext<Fault<GenerateImage>> context)
    {
        var command = context.Message.Message;
        var reason = context.Message.Exceptions.FirstOrDefault()?.ExceptionType ?? "an unknown error";
        var now = clock.GetUtcNow();
        var failed = new ImageGenerationFailed(command.JobId, command.Attempt, command.Owner, command.Provider, command.Model, ErrorCodes.Internal,
            $"The {command.Provider} worker could not process this job ({reason}); the command is kept in the {ProviderQueues.For(command.Provider)}_error queue for inspection.",
            Retryable: false, command.RequestedAt, now, now);
        if (await jobs.CompleteFailedAsync(failed, context.CancellationToken))
        {
            logger.LogError("Job {JobId} failed: its command faulted in the {Provider} worker ({Reason})", command.JobId, command.Provider, reason);
            await notifier.PublishAsync(command.JobId);
        }
    }

    public Task Consume(ConsumeContext<ImageGenerationStarted> context) =>
        jobs.MarkRunningAsync(context.Message.JobId, context.Message.Attempt, context.Message.StartedAt, context.CancellationToken);

    public async Task Consume(ConsumeContext<ImageGenerationSucceeded> context)
    {
        await circuits.RecordSuccessAsync(context.Message.Provider, context.Message.Model, context.CancellationToken);
        if (await jobs.CompleteSucceededAsync(context.Message, context.CancellationToken))
        {
            logger.LogInformation("Job {JobId} succeeded with {Count} image(s) from {Provider}", context.Message.JobId, context.Message.Images.Count, context.Message.Provider);
            await notifier.PublishAsync(context.Message.JobId);
        }
    }

    public async Task Consume(ConsumeContext<ImageGenerationFailed> context)
    {
        var failed = context.Message;
        await circuits.RecordFailureAsync(failed.Provider, failed.Model, failed.ErrorCode, context.CancellationToken);
        if (await jobs.GetRoutingAsync(failed.JobId, context.CancellationToken) is { } routing
            && routing.Attempts <= failed.Attempt && routing.Provider == failed.Provider && routing.Model == failed.Model
            && await NextAttemptAsync(routing, failed, context.CancellationToken) is var (route, delay)
            && await jobs.ScheduleAttemptAsync(failed, route, delay, clock.GetUtcNow(), context.CancellationToken))
        {
            logger.LogInformation("Job {JobId} attempt {Attempt} failed at {Provider} with {ErrorCode}; attempt {Next} on {NextProvider} in {Delay:F1} s",
                failed.JobId, failed.Attempt, failed.Provider, failed.ErrorCode, failed.Attempt + 1, route.Provider, delay.TotalSeconds);
            return;
        }

        if (await jobs.CompleteFailedAsync(context.Message, context.CancellationToken))
        {
            logger.LogInformation("Job {JobId} failed at {Provider}: {ErrorCode}", context.Message.JobId, context.Message.Provider, context.Message.ErrorCode);
            await notifier.PublishAsync(context.Message.JobId);
        }
    }
}

public sealed class JobOutcomeConsumerDefinition : ConsumerDefinition<JobOutcomeConsumer>
{
    public JobOutcomeConsumerDefinition()
    {
        EndpointName = "generation-job-outcomes";
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<JobOutcomeConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // A database restart or failover is transient; anything else is a bug and goes to the error queue.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<NpgsqlException>(ex => ex.IsTransient);
            r.Handle<TimeoutException>();
            r.Exponential(10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
        });
    }
}
