using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Apis;
using ImageGen.Providers.Cancellation;
using ImageGen.Providers.Credentials;
using ImageGen.Providers.Polling;
using ImageGen.Providers.Storage;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ImageGen.Providers.Consumers;

/// <summary>
/// Carries out one attempt of a job: announces it, has the provider's adapter make the images, streams
/// each to storage and publishes exactly one outcome. Every failure the worker can name becomes an
/// <see cref="ImageGenerationFailed"/> event, so a job never waits on an attempt that quietly died.
/// </summary>
/// <remarks>
/// The provider key for the attempt (<see cref="ProviderCredentials"/>) lives only in this call: it goes
/// to the adapter in the request and is scrubbed from any failure message before that is logged or published.
/// An asynchronous provider (<see cref="IAsyncImageProviderAdapter"/>) is only submitted to here: the running task
/// goes into the poll schedule (<see cref="ProviderPollSchedule"/>) and <see cref="ProviderPollScheduler"/> ends the attempt.
/// A redelivered command is harmless: the images are stored again under the same content-derived keys
/// (the built-in renderer is deterministic) and the orchestrator ignores outcomes of attempts it has closed.
/// </remarks>
public sealed partial class GenerateImageConsumer(
    ProviderAdapterRegistry adapters,
    ProviderCredentials credentials,
    IImageStore store,
    IOptions<ProviderWorkerOptions> options,
    TimeProvider time,
    ILogger<GenerateImageConsumer> logger,
    InFlightAttempts inFlight,
    ProviderPollSchedule? polls = null,
    ProviderTaskCancellation? providerTasks = null,
    IOptions<WebhookOptions>? webhooks = null) : IConsumer<GenerateImage>
{
    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        var stopping = context.CancellationToken;
        // Tripped by the worker stopping, or by the caller canceling the job (GenerationCanceled).
        using var running = inFlight.Begin(command.JobId, command.Attempt, stopping);
        var cancellationToken = running.Token;
        var startedAt = time.GetUtcNow();
        var attempt = AttemptIdentity.Of(command, startedAt);
        var outcomes = new OutcomePublisher(store, context, time);
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["JobId"] = command.JobId,
            ["Attempt"] = command.Attempt,
            ["Provider"] = command.Provider,
        });

        await context.Publish(new ImageGenerationStarted(command.JobId, command.Attempt, command.Provider, command.Model, startedAt), cancellationToken);
        string? credential = null;
        try
        {
            var adapter = SelectAdapter(command);
            credential = credentials.Resolve(command, adapter);
            var request = ToRequest(command, credential) with
            {
                WebhookUrl = adapter is IWebhookImageProviderAdapter ? webhooks?.Value.UrlFor(command.Provider) : null,
            };
            ProviderResult result;
            if (adapter is IAsyncImageProviderAdapter asynchronous)
            {
                var submission = await asynchronous.SubmitAsync(request, cancellationToken);
                if (submission.Result is null)
                {
                    // The command is done with: the schedule, not this thread, waits for the provider.
                    await ScheduleAsync(command, attempt, submission);
                    if (running.CanceledByCaller(stopping) && providerTasks is not null)
                    {
                        // The cancel came while the task was being submitted, before it was on the schedule to be found.
                        await providerTasks.CancelAsync(command.Provider, command.JobId, command.Attempt, stopping);
                    }

                    return;
                }

                result = submission.Result;
            }
            else
            {
                result = await adapter.GenerateAsync(request, cancellationToken);
            }

            var images = await outcomes.SucceededAsync(attempt, result, cancellationToken);
            LogSucceeded(images.Count, result.Model, (time.GetUtcNow() - startedAt).TotalMilliseconds);
        }
        catch (Exception) when (running.CanceledByCaller(stopping))
        {
            // The job is already canceled; whatever this attempt would report is ignored, so report nothing.
            LogCanceled();
        }
        catch (ProviderException ex)
        {
            var message = await outcomes.FailedAsync(attempt, ex, credential, cancellationToken);
            LogProviderFailed(ex.Code, ex.Retryable, message);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The worker is stopping: the unacknowledged command goes back to the queue for another worker.
            throw;
        }
        catch (Exception ex) when (GenerateImageConsumerDefinition.IsTransient(ex) && context.GetRetryAttempt() < options.Value.TransientRetries)
        {
            LogWillRetry(ex.GetType().Name, context.GetRetryAttempt() + 1);
            throw;
        }
        catch (Exception ex)
        {
            var transient = GenerateImageConsumerDefinition.IsTransient(ex);
            LogUnexpected(ex, transient);
            // Never the exception's own message: it may name internal hosts or carry provider payloads.
            var message = transient
                ? "The image could not be stored because a service it needs was unavailable; try again shortly."
                : "The worker failed unexpectedly while making or storing the image.";
            await outcomes.FailedAsync(attempt, ErrorCodes.Internal, message, retryable: transient, cancellationToken);
        }
    }

    private async Task ScheduleAsync(GenerateImage command, AttemptIdentity attempt, ProviderSubmission submission)
    {
        if (polls is null)
        {
            throw ProviderException.Internal(
                $"The provider '{command.Provider}' works asynchronously, but this worker has no poll schedule (services.AddProviderPolling()).");
        }

        var task = new PendingProviderTask(
            command.JobId, command.Attempt, command.Owner, command.Provider, command.Model, command.RequestedAt, attempt.StartedAt,
            command.EstimatedCostUsd, submission.TaskId!, submission.State,
            // Sealed as it came, never the opened key: the schedule is readable by anyone with access to Redis.
            command.SealedCredential, PollCount: 0, Deadline: polls.DeadlineFor(command.Provider, attempt.StartedAt));
        try
        {
            await polls.AddAsync(task, time.GetUtcNow() + submission.NextPollIn);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The provider has the work, but no worker would ever ask about it. Retrying the command would submit
            // (and pay for) it twice; the orchestrator decides whether another attempt is worth it.
            LogNotScheduled(ex, submission.TaskId!);
            throw new ProviderException(ErrorCodes.Internal,
                "The provider accepted the task, but the worker could not schedule polls for it (its Redis was unavailable); try again shortly.",
                retryable: true);
        }

        LogScheduled(submission.TaskId!, submission.NextPollIn.TotalSeconds);
    }

    private IImageProviderAdapter SelectAdapter(GenerateImage command)
    {
        var served = options.Value.Id;
        if (!string.Equals(command.Provider, served, StringComparison.Ordinal) || adapters.Find(command.Provider) is not { } adapter)
        {
            // A routing mistake upstream; serving it here would bypass that provider's own limits.
            throw ProviderException.InvalidRequest($"This worker serves the provider '{served}', not '{command.Provider}'.");
        }

        return adapter;
    }

    private static ProviderRequest ToRequest(GenerateImage command, string? credential)
    {
        if (!ImageOutputFormats.TryParse(command.OutputFormat, out var format))
        {
            throw ProviderException.InvalidRequest($"The output format '{command.OutputFormat}' is not supported; use png, jpeg or webp.");
        }

        return new ProviderRequest(command.JobId, command.Attempt, command.Model ?? string.Empty, command.Prompt ?? string.Empty,
            command.NegativePrompt, command.Width, command.Height, command.Count, command.Seed, format)
        {
            Parameters = command.Parameters ?? ProviderRequest.NoParameters,
            Credential = credential,
            EstimatedCostUsd = command.EstimatedCostUsd,
            InputImages = command.InputImages ?? [],
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attempt stopped: the caller canceled the job")]
    private partial void LogCanceled();

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {Count} image(s) from model {Model} in {ElapsedMs:F0} ms")]
    private partial void LogSucceeded(int count, string model, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider failed with {ErrorCode} (retryable: {Retryable}): {Reason}")]
    private partial void LogProviderFailed(string errorCode, bool retryable, string reason);

    // MassTransit logs the exception itself when it schedules the retry.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Transient {ExceptionType}; retry {Retry} of the command follows")]
    private partial void LogWillRetry(string exceptionType, int retry);

    [LoggerMessage(Level = LogLevel.Information, Message = "Submitted provider task {ProviderTaskId}; first poll in {Seconds:F1} s")]
    private partial void LogScheduled(string providerTaskId, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Provider task {ProviderTaskId} could not be scheduled for polling")]
    private partial void LogNotScheduled(Exception exception, string providerTaskId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Attempt failed unexpectedly (transient: {Transient})")]
    private partial void LogUnexpected(Exception exception, bool transient);
}
