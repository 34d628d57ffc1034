using ImageGen.Contracts;
using ImageGen.Generation.Data;
using ImageGen.Generation.Notifications;
using ImageGen.Generation.Retries;
using MassTransit;
using Npgsql;

namespace ImageGen.Generation.Consumers;

/// <summary>
/// Moves jobs along as workers report on them. Each transition is a conditional update, so a
/// redelivered or late event changes nothing: a job reaches its terminal state exactly once.
/// </summary>
public sealed class JobOutcomeConsumer(
    JobRepository jobs, JobCompletionNotifier notifier, RetryPolicy retries, TimeProvider clock, ILogger<JobOutcomeConsumer> logger) :
    IConsumer<ImageGenerationStarted>,
    IConsumer<ImageGenerationSucceeded>,
    IConsumer<ImageGenerationFailed>
{
    public Task Consume(ConsumeContext<ImageGenerationStarted> context) =>
        jobs.MarkRunningAsync(context.Message.JobId, context.Message.Attempt, context.Message.StartedAt, context.CancellationToken);

    public async Task Consume(ConsumeContext<ImageGenerationSucceeded> context)
    {
        if (await jobs.CompleteSucceededAsync(context.Message, context.CancellationToken))
        {
            logger.LogInformation("Job {JobId} succeeded with {Count} image(s) from {Provider}", context.Message.JobId, context.Message.Images.Count, context.Message.Provider);
            await notifier.PublishAsync(context.Message.JobId);
        }
    }

    public async Task Consume(ConsumeContext<ImageGenerationFailed> context)
    {
        var failed = context.Message;
        if (await jobs.GetRoutingAsync(failed.JobId, context.CancellationToken) is { } routing
            && routing.Attempts <= failed.Attempt && routing.Provider == failed.Provider && routing.Model == failed.Model
            && retries.NextAttempt(routing, failed) is var (route, delay)
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
