using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Storage;
using MassTransit;

namespace ImageGen.Providers.Consumers;

/// <summary>The facts about one attempt that every outcome event repeats, whoever ends the attempt (consumer or poll scheduler).</summary>
public sealed record AttemptIdentity(
    Guid JobId,
    int Attempt,
    string Owner,
    string Provider,
    string Model,
    DateTimeOffset RequestedAt,
    DateTimeOffset StartedAt,
    decimal? EstimatedCostUsd)
{
    public static AttemptIdentity Of(GenerateImage command, DateTimeOffset startedAt) =>
        new(command.JobId, command.Attempt, command.Owner, command.Provider, command.Model, command.RequestedAt, startedAt, command.EstimatedCostUsd);
}

/// <summary>
/// Ends an attempt: stores a result's images and publishes <see cref="ImageGenerationSucceeded"/>, or publishes
/// <see cref="ImageGenerationFailed"/>. One implementation for the consumer (publishing through its consume
/// context) and the poll scheduler (publishing through the bus from a scope), so both report alike.
/// </summary>
public sealed class OutcomePublisher(IImageStore store, IPublishEndpoint publish, TimeProvider time)
{
    /// <summary>Stores every image of <paramref name="result"/> and publishes the success; returns the stored images.</summary>
    /// <exception cref="ProviderException"><c>provider_unavailable</c> when the result has no image at all.</exception>
    public async Task<IReadOnlyList<GeneratedImage>> SucceededAsync(AttemptIdentity attempt, ProviderResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(result);
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

        await publish.Publish(
            new ImageGenerationSucceeded(attempt.JobId, attempt.Attempt, attempt.Owner, attempt.Provider, result.Model, images,
                attempt.RequestedAt, attempt.StartedAt, time.GetUtcNow(), result.CostUsd ?? attempt.EstimatedCostUsd,
                result.Warnings.Count > 0 ? result.Warnings : null),
            cancellationToken);
        return images;
    }

    /// <summary>Publishes the failure. <paramref name="message"/> must already be safe to show (no secrets).</summary>
    public Task FailedAsync(
        AttemptIdentity attempt, string code, string message, bool retryable, CancellationToken cancellationToken,
        TimeSpan? retryAfter = null, decimal? costUsd = null)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var retryAfterSeconds = retryAfter is { } wait ? (int)Math.Ceiling(wait.TotalSeconds) : (int?)null;
        return publish.Publish(
            new ImageGenerationFailed(attempt.JobId, attempt.Attempt, attempt.Owner, attempt.Provider, attempt.Model, code, message, retryable,
                attempt.RequestedAt, attempt.StartedAt, time.GetUtcNow(), retryAfterSeconds, costUsd),
            cancellationToken);
    }

    /// <summary>Publishes a provider failure, with any trace of <paramref name="credential"/> scrubbed from its message; returns that message.</summary>
    public async Task<string> FailedAsync(AttemptIdentity attempt, ProviderException failure, string? credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failure);
        // Adapters clean provider messages already; this catches a key echoed in any form they missed.
        var message = ProviderMessage.Redact(failure.Message, credential);
        await FailedAsync(attempt, failure.Code, message, failure.Retryable, cancellationToken, failure.RetryAfter, failure.CostUsd);
        return message;
    }
}
