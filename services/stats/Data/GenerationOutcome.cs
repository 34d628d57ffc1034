using ImageGen.Contracts;

namespace ImageGen.Stats.Data;

/// <summary>How one attempt of a job ended, as stored for statistics.</summary>
public sealed record GenerationOutcome(
    Guid JobId,
    int Attempt,
    string Owner,
    string Provider,
    string Model,
    bool Succeeded,
    string? ErrorCode,
    int ImageCount,
    long Bytes,
    DateTimeOffset RequestedAt,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    decimal CostUsd = 0m)
{
    /// <summary>Time the provider took: from the worker picking the attempt up to the outcome.</summary>
    public long LatencyMs => Milliseconds(StartedAt, CompletedAt);

    /// <summary>Time the caller waited: from the request to the outcome, queueing included.</summary>
    public long TotalMs => Milliseconds(RequestedAt, CompletedAt);

    public static GenerationOutcome From(ImageGenerationSucceeded e) => new(
        e.JobId, e.Attempt, e.Owner, e.Provider, e.Model,
        Succeeded: true,
        ErrorCode: null,
        ImageCount: e.Images.Count,
        Bytes: e.Images.Sum(i => i.Bytes),
        e.RequestedAt, e.StartedAt, e.CompletedAt,
        CostUsd: Math.Max(0m, e.CostUsd ?? 0m));

    public static GenerationOutcome From(ImageGenerationFailed e) => new(
        e.JobId, e.Attempt, e.Owner, e.Provider, e.Model,
        Succeeded: false,
        // A failure without a code is a bug in the publisher; counting it as internal keeps it visible.
        ErrorCode: string.IsNullOrWhiteSpace(e.ErrorCode) ? ErrorCodes.Internal : e.ErrorCode,
        ImageCount: 0,
        Bytes: 0,
        e.RequestedAt, e.StartedAt, e.CompletedAt,
        CostUsd: Math.Max(0m, e.CostUsd ?? 0m));

    // The timestamps come from different processes (orchestrator, worker); a little clock skew must not
    // turn into negative durations that drag percentiles below zero.
    private static long Milliseconds(DateTimeOffset from, DateTimeOffset to) =>
        Math.Max(0, (long)Math.Round((to - from).TotalMilliseconds, MidpointRounding.AwayFromZero));
}
