namespace ImageGen.Generation.Model;

/// <summary>
/// The request as validated and normalised: every default filled in, the seed chosen, and what the
/// provider will actually be sent (<paramref name="Parameters"/>), with a warning for each adjustment.
/// </summary>
public sealed record JobRequest(
    string Prompt,
    string? NegativePrompt,
    int Width,
    int Height,
    int N,
    long Seed,
    string OutputFormat,
    Dictionary<string, string>? Metadata,
    Dictionary<string, string>? Parameters = null,
    IReadOnlyList<string>? Warnings = null,
    decimal? EstimatedCostUsd = null,
    bool Strict = false,
    IReadOnlyList<string>? InputImages = null,
    IReadOnlyList<JobRoute>? Routes = null,
    int? DeadlineSeconds = null,
    string? CallbackUrl = null,
    string? PublicBaseUrl = null)
{
    public string Size => $"{Width}x{Height}";

    /// <summary>The routes to try in order; a job with a single provider has one, itself.</summary>
    public IReadOnlyList<JobRoute> RoutesOrSelf(string provider, string model) =>
        Routes is { Count: > 0 } routes ? routes : [new JobRoute(provider, model, this with { Routes = null })];
}

/// <summary>One provider and model a job may run on, with the request as validated and translated for it.</summary>
public sealed record JobRoute(string Provider, string Model, JobRequest Request);

public sealed record JobImage(
    int Index,
    string StorageKey,
    int Width,
    int Height,
    string ContentType,
    long Bytes,
    string Sha256);

public sealed record JobError(string Code, string Message);

public sealed record Job(
    Guid Id,
    string Owner,
    string Status,
    string Provider,
    string Model,
    JobRequest Request,
    int Attempts,
    JobError? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<JobImage> Images,
    IReadOnlyList<string>? ResultWarnings = null,
    IReadOnlyList<JobAttempt>? AttemptHistory = null,
    DateTimeOffset? DeadlineAt = null,
    JobCallback? Callback = null);

/// <summary>The completion callback of a job that asked for one: its state and every try.</summary>
public sealed record JobCallback(string Url, string Event, string Status, int Attempts, DateTimeOffset? DeliveredAt, DateTimeOffset? NextAttemptAt, IReadOnlyList<CallbackDelivery> Deliveries);

public sealed record CallbackDelivery(int Delivery, string Event, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, int DurationMs);

/// <summary>One attempt of a job at a provider: when it was due to be sent, ran and ended, how, and what it cost.</summary>
public sealed record JobAttempt(
    int Attempt,
    string Provider,
    string Model,
    string Status,
    DateTimeOffset ScheduledAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    JobError? Error,
    bool? Retryable,
    decimal? CostUsd);

/// <summary>A submission's idempotency key and the fingerprint of its request.</summary>
public sealed record IdempotencyClaim(string Key, string Fingerprint);

/// <summary>What a submission did: created the job, found the one its idempotency key created, or hit a key used for another request.</summary>
/// <param name="Job">The job as just stored, when this submission created it.</param>
public sealed record JobCreation(Guid JobId, bool Replayed, bool KeyConflict, Job? Job = null)
{
    public static JobCreation Created(Job job) => new(job.Id, false, false, job);
}

/// <summary>A job's routes and where it stands: the provider and model of its current attempt, and how many attempts that route has had.</summary>
public sealed record JobRouting(JobRequest Request, string Provider, string Model, int Attempts, int AttemptsOnRoute)
{
    public IReadOnlyList<JobRoute> Routes => Request.RoutesOrSelf(Provider, Model);

    public int CurrentIndex => Routes.ToList().FindIndex(r => r.Provider == Provider && r.Model == Model);
}
