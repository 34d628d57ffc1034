using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Credentials;
using ImageGen.Providers.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Consumers;

/// <summary>
/// Carries out one attempt of a job: announces it, has the provider's adapter make the images, streams
/// each to storage and publishes exactly one outcome. Every failure the worker can name becomes an
/// <see cref="ImageGenerationFailed"/> event, so a job never waits on an attempt that quietly died.
/// </summary>
/// <remarks>
/// The provider key for the attempt (<see cref="ProviderCredentials"/>) lives only in this call: it goes
/// to the adapter in the request and is scrubbed from any failure message before that is logged or published.
/// A redelivered command is harmless: the images are stored again under the same content-derived keys
/// (the built-in renderer is deterministic) and the orchestrator ignores outcomes of attempts it has closed.
/// </remarks>
public sealed partial class GenerateImageConsumer(
    ProviderAdapterRegistry adapters,
    ProviderCredentials credentials,
    IImageStore store,
    IOptions<ProviderWorkerOptions> options,
    TimeProvider time,
    ILogger<GenerateImageConsumer> logger) : IConsumer<GenerateImage>
{
    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        var cancellationToken = context.CancellationToken;
        var startedAt = time.GetUtcNow();
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
            var result = await adapter.GenerateAsync(ToRequest(command, credential), cancellationToken);
            if (result.Images.Count == 0)
            {
                throw new ProviderException(ErrorCodes.ProviderUnavailable, "The provider answered without any image.", retryable: true);
            }

            var images = new List<GeneratedImage>(result.Images.Count);
            foreach (var image in result.Images)
            {
                await using var content = await image.OpenReadAsync(cancellationToken);
                var stored = await store.PutAsync(content, image.ContentType, cancellationToken);
                images.Add(new GeneratedImage(stored.Key, image.Width, image.Height, stored.ContentType, stored.Size, stored.Sha256, image.Attribution));
            }

            var completedAt = time.GetUtcNow();
            await context.Publish(
                new ImageGenerationSucceeded(command.JobId, command.Attempt, command.Owner, command.Provider, result.Model, images,
                    command.RequestedAt, startedAt, completedAt, result.CostUsd ?? command.EstimatedCostUsd),
                cancellationToken);
            LogSucceeded(images.Count, result.Model, (completedAt - startedAt).TotalMilliseconds);
        }
        catch (ProviderException ex)
        {
            // Adapters clean provider messages already; this catches a key echoed in any form they missed.
            var message = ProviderMessage.Redact(ex.Message, credential);
            LogProviderFailed(ex.Code, ex.Retryable, message);
            var retryAfter = ex.RetryAfter is { } wait ? (int)Math.Ceiling(wait.TotalSeconds) : (int?)null;
            await PublishFailed(context, startedAt, ex.Code, message, ex.Retryable, retryAfter, ex.CostUsd);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
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
            await PublishFailed(context, startedAt, ErrorCodes.Internal, message, retryable: transient);
        }
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

    private Task PublishFailed(
        ConsumeContext<GenerateImage> context, DateTimeOffset startedAt, string code, string message, bool retryable,
        int? retryAfterSeconds = null, decimal? costUsd = null)
    {
        var command = context.Message;
        return context.Publish(
            new ImageGenerationFailed(command.JobId, command.Attempt, command.Owner, command.Provider, command.Model, code, message, retryable,
                command.RequestedAt, startedAt, time.GetUtcNow(), retryAfterSeconds, costUsd),
            context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {Count} image(s) from model {Model} in {ElapsedMs:F0} ms")]
    private partial void LogSucceeded(int count, string model, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider failed with {ErrorCode} (retryable: {Retryable}): {Reason}")]
    private partial void LogProviderFailed(string errorCode, bool retryable, string reason);

    // MassTransit logs the exception itself when it schedules the retry.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Transient {ExceptionType}; retry {Retry} of the command follows")]
    private partial void LogWillRetry(string exceptionType, int retry);

    [LoggerMessage(Level = LogLevel.Error, Message = "Attempt failed unexpectedly (transient: {Transient})")]
    private partial void LogUnexpected(Exception exception, bool transient);
}
