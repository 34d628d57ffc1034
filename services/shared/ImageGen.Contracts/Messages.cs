namespace ImageGen.Contracts;

// Messages exchanged over the bus. Plain records with no behaviour and no package references, so any
// service (or a future one in another language) can depend on them without dragging in a stack.

/// <summary>
/// Command: make the images for one attempt of a job. Sent to the provider's own queue
/// (<see cref="ProviderQueues.For"/>), consumed by exactly one worker of that provider.
/// </summary>
/// <param name="Parameters">
/// Provider-native parameters the orchestrator derived from the unified request, as recorded on the
/// job (e.g. <c>aspect_ratio=2:3</c> for Stability, <c>size=1024*1536</c> for DashScope). Adapters
/// send these as they are; they never re-derive them.
/// </param>
/// <param name="SealedCredential">
/// A caller's own provider key for this job only, sealed with <c>CredentialSealer</c> and bound to
/// the job id: never in clear on the bus. Null: the worker uses its configured key.
/// </param>
/// <param name="EstimatedCostUsd">What the catalog expects the attempt to cost, for the outcome events.</param>
/// <param name="InputImages">Images to edit or start from (https URLs or data URIs), for models that take image input.</param>
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
    DateTimeOffset RequestedAt,
    IReadOnlyDictionary<string, string>? Parameters = null,
    string? SealedCredential = null,
    decimal? EstimatedCostUsd = null,
    IReadOnlyList<string>? InputImages = null);

/// <summary>Event: a worker has picked the attempt up and is calling the provider.</summary>
public record ImageGenerationStarted(
    Guid JobId,
    int Attempt,
    string Provider,
    string Model,
    DateTimeOffset StartedAt);

/// <summary>One stored image of a result. <paramref name="StorageKey"/> is the storage service's key.</summary>
/// <param name="Attribution">Credit the source requires to be shown with the image (stock photos), else null.</param>
public record GeneratedImage(
    string StorageKey,
    int Width,
    int Height,
    string ContentType,
    long Bytes,
    string Sha256,
    ImageAttribution? Attribution = null);

/// <summary>Who made a stock photo and where it comes from, kept with the image as its licence asks.</summary>
public record ImageAttribution(string Text, string? AuthorName, string? AuthorUrl, string? SourceUrl);

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
    DateTimeOffset CompletedAt,
    decimal? CostUsd = null,
    IReadOnlyList<string>? Warnings = null);

/// <summary>Event: the attempt ended without images. <paramref name="ErrorCode"/> is one of <see cref="ErrorCodes"/>.</summary>
/// <param name="RetryAfterSeconds">When the provider said how long to wait (rate limits), that wait.</param>
/// <param name="CostUsd">What the provider charged anyway (some charge for refused or canceled work).</param>
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
    DateTimeOffset CompletedAt,
    int? RetryAfterSeconds = null,
    decimal? CostUsd = null);

/// <summary>
/// Event: the caller canceled the job. Workers stop the attempt if they are still on it and cancel the
/// provider's own task where the provider supports that; an outcome that still arrives is ignored.
/// </summary>
public record GenerationCanceled(
    Guid JobId,
    int Attempt,
    string Provider,
    DateTimeOffset CanceledAt);
