using ImageGen.Generation.Model;

namespace ImageGen.Generation.Apis;

public sealed record ImageView(string Url, int Width, int Height, string ContentType, long Bytes, string Sha256);

public sealed record JobRequestView(
    string Prompt,
    string? NegativePrompt,
    string Size,
    int N,
    long Seed,
    string OutputFormat,
    bool Strict,
    Dictionary<string, string>? Metadata);

/// <summary>One attempt as the API shows it; <c>duration_ms</c> is from start to end at the worker.</summary>
public sealed record AttemptView(
    int Attempt,
    string Provider,
    string Model,
    string Status,
    DateTimeOffset ScheduledAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    long? DurationMs,
    JobError? Error,
    bool? Retryable,
    decimal? CostUsd)
{
    public static AttemptView From(JobAttempt a) => new(
        a.Attempt, a.Provider, a.Model, a.Status, a.ScheduledAt, a.StartedAt, a.CompletedAt,
        a.StartedAt is { } start && a.CompletedAt is { } end ? (long)(end - start).TotalMilliseconds : null,
        a.Error, a.Retryable, a.CostUsd);
}

/// <summary>A job as the API returns it.</summary>
public sealed record JobView(
    Guid Id,
    string Object,
    string Status,
    string Provider,
    string Model,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    int Attempts,
    JobRequestView Request,
    IReadOnlyDictionary<string, string> AppliedParameters,
    IReadOnlyList<string> Warnings,
    decimal? EstimatedCostUsd,
    JobError? Error,
    IReadOnlyList<ImageView> Images,
    IReadOnlyList<AttemptView> AttemptDetails,
    IReadOnlyList<RouteView>? Routes,
    DateTimeOffset? DeadlineAt,
    JobCallback? Callback)
{
    public static JobView From(Job job, PublicUrls urls)
    {
        // Parameters and cost of the route the job is on now (a later one after a fallback).
        var current = job.Request.RoutesOrSelf(job.Provider, job.Model).FirstOrDefault(r => r.Provider == job.Provider && r.Model == job.Model)?.Request ?? job.Request;
        return Create(job, urls, current);
    }

    private static JobView Create(Job job, PublicUrls urls, JobRequest current) => new(
        job.Id,
        "job",
        job.Status,
        job.Provider,
        job.Model,
        job.CreatedAt,
        job.UpdatedAt,
        job.StartedAt,
        job.CompletedAt,
        job.Attempts,
        new JobRequestView(job.Request.Prompt, job.Request.NegativePrompt, job.Request.Size, job.Request.N, job.Request.Seed, job.Request.OutputFormat, job.Request.Strict, job.Request.Metadata),
        current.Parameters ?? [],
        [.. job.Request.Warnings ?? [], .. job.ResultWarnings ?? []],
        current.EstimatedCostUsd,
        job.Error,
        job.Images.Select(i => new ImageView(urls.File(i.StorageKey), i.Width, i.Height, i.ContentType, i.Bytes, i.Sha256)).ToList(),
        (job.AttemptHistory ?? []).Select(AttemptView.From).ToList(),
        job.Request.Routes?.Select(r => new RouteView(r.Provider, r.Model, r.Request.Size, r.Request.Parameters ?? [], r.Request.EstimatedCostUsd)).ToList(),
        job.DeadlineAt,
        job.Callback ?? (job.Request.CallbackUrl is { } url ? new JobCallback(url, "", "waiting_for_job", 0, null, null, []) : null));
}

/// <summary>One step of a job's fallback chain, as validated and translated for its provider.</summary>
public sealed record RouteView(string Provider, string Model, string Size, IReadOnlyDictionary<string, string> AppliedParameters, decimal? EstimatedCostUsd);

public sealed record JobPage(string Object, IReadOnlyList<JobView> Data, bool HasMore, string? NextCursor);
