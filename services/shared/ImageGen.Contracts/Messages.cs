namespace ImageGen.Contracts;

// Messages exchanged over the bus. Plain records with no behaviour and no package references, so any
// service (or a future one in another language) can depend on them without dragging in a stack.

/// <summary>
/// Command: make the images for one attempt of a job. Sent to the provider's own queue
/// (<see cref="ProviderQueues.For"/>), consumed by exactly one worker of that provider.
/// </summary>
public record GenerateImage(
    Guid JobId,
    int Attempt,
    string Owner,
    string Provider,
    string Model,
    string Prompt,
    string? NegativePrompt,
    int Width,
    int Height,
    int Count,
    long Seed,
    string OutputFormat,
    DateTimeOffset RequestedAt);

/// <summary>Event: a worker has picked the attempt up and is calling the provider.</summary>
public record ImageGenerationStarted(
    Guid JobId,
    int Attempt,
    string Provider,
    string Model,
    DateTimeOffset StartedAt);

/// <summary>One stored image of a result. <paramref name="StorageKey"/> is the storage service's key.</summary>
public record GeneratedImage(
    string StorageKey,
    int Width,
    int Height,
    string ContentType,
    long Bytes,
    string Sha256);

/// <summary>Event: every image of the attempt is in storage.</summary>
public record ImageGenerationSucceeded(
    Guid JobId,
    int Attempt,
    string Owner,
    string Provider,
    string Model,
    IReadOnlyList<GeneratedImage> Images,
    DateTimeOffset RequestedAt,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt);

/// <summary>Event: the attempt ended without images. <paramref name="ErrorCode"/> is one of <see cref="ErrorCodes"/>.</summary>
public record ImageGenerationFailed(
    Guid JobId,
    int Attempt,
    string Owner,
    string Provider,
    string Model,
    string ErrorCode,
    string ErrorMessage,
    bool Retryable,
    DateTimeOffset RequestedAt,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt);
