using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ImageGen.Generation.Data;
using ImageGen.Generation.Model;
using ImageGen.Generation.Notifications;
using ImageGen.Generation.Validation;
using ImageGen.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageGen.Generation.Apis;

/// <summary>The native asynchronous jobs API: submit, then poll or list.</summary>
public static class JobsApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/jobs").WithTags("Jobs");

        api.MapPost("/", CreateJob)
            .WithName("CreateJob")
            .WithSummary("Submit a generation job")
            .WithDescription("Validates the request, stores the job and queues it for its provider. Answers 202 with the job; poll its Location until the status is terminal. With an Idempotency-Key header, a retry of the same request answers with the job it created (Idempotent-Replayed: true); the key with a different request answers 409.")
            .Accepts<CreateJobRequest>("application/json")
            .Produces<JobView>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        api.MapGet("/{id}", GetJob)
            .WithName("GetJob")
            .WithSummary("Get a job: status, attempts, error and image URLs");

        api.MapPost("/{id}/cancel", CancelJob)
            .WithName("CancelJob")
            .WithSummary("Cancel a queued or running job")
            .WithDescription("The job ends as canceled at once and its worker is told to stop. A job that has already ended answers 409.");

        api.MapPost("/{id}/retry", RetryJob)
            .WithName("RetryJob")
            .WithSummary("Start a new attempt of a failed or canceled job")
            .WithDescription("The job is queued again with the same request; its earlier attempts stay in attempt_details. A job made with X-Provider-Key needs the key sent again. A queued, running or succeeded job answers 409.")
            .Produces<JobView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/", ListJobs)
            .WithName("ListJobs")
            .WithSummary("List jobs, newest first, with cursor pagination");

        return app;
    }

    public static async Task<IResult> CreateJob(
        HttpContext context, JobRequestValidator validator, JobService jobs, JobRepository repository, CredentialSealer sealer, PublicUrls urls, TimeProvider clock)
    {
        var (idempotencyKey, keyFormatProblem) = IdempotencyKeys.Read(context);
        if (keyFormatProblem is not null)
        {
            return keyFormatProblem;
        }

        var (request, problem) = await JsonBody.ReadAsync<CreateJobRequest>(context, rejectUnknownFields: true);
        if (problem is not null)
        {
            return problem;
        }

        var (ownKey, keyProblem) = ReadOwnKey(context, sealer);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var (validated, errors) = validator.Validate(request!, hasOwnKey: ownKey is not null);
        if (validated is null)
        {
            return ValidationFailed(errors);
        }

        var (start, open) = await jobs.ChooseStartAsync(validated, context.RequestAborted);
        if (start is null)
        {
            return JobService.AllCircuitsOpen(open, context, clock.GetUtcNow());
        }

        validated = start;
        var claim = idempotencyKey is null
            ? null
            : new IdempotencyClaim(idempotencyKey, IdempotencyKeys.Fingerprint("jobs", request, ownKey is not null));
        var creation = await jobs.CreateAsync(validated, JobService.AnonymousOwner, ownKey, context.RequestAborted, claim);
        if (creation.KeyConflict)
        {
            return IdempotencyKeys.Conflict(idempotencyKey!);
        }

        if (creation.Replayed)
        {
            context.Response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
        }

        // As stored: a fresh read could already show the worker's progress, and the answer to a submission says "queued".
        var job = creation.Job ?? (await repository.GetAsync(creation.JobId, JobService.AnonymousOwner, context.RequestAborted))!;
        return TypedResults.Accepted(urls.Job(job.Id), JobView.From(job, urls));
    }

    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetJob(string id, JobRepository jobs, PublicUrls urls, CancellationToken cancellationToken)
    {
        var job = Guid.TryParse(id, out var jobId) ? await jobs.GetAsync(jobId, JobService.AnonymousOwner, cancellationToken) : null;
        return job is null ? JobNotFound(id) : TypedResults.Ok(JobView.From(job, urls));
    }

    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelJob(
        string id, JobRepository jobs, JobCompletionNotifier notifier, PublicUrls urls, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var jobId))
        {
            return JobNotFound(id);
        }

        var (job, canceled) = await jobs.CancelAsync(jobId, JobService.AnonymousOwner, clock.GetUtcNow(), cancellationToken);
        if (job is null)
        {
            return JobNotFound(id);
        }

        if (!canceled)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Job already ended",
                detail: $"Job {id} has already {job.Status}; only queued or running jobs can be canceled.");
        }

        await notifier.PublishAsync(jobId);
        return TypedResults.Ok(JobView.From(job, urls));
    }

    public static async Task<IResult> RetryJob(
        string id, HttpContext context, JobRepository jobs, CredentialSealer sealer, PublicUrls urls, TimeProvider clock)
    {
        var cancellationToken = context.RequestAborted;
        var job = Guid.TryParse(id, out var jobId) ? await jobs.GetAsync(jobId, JobService.AnonymousOwner, cancellationToken) : null;
        if (job is null)
        {
            return JobNotFound(id);
        }

        if (job.Status is not (JobStatus.Failed or JobStatus.Canceled))
        {
            return NotRetryable(id, job.Status);
        }

        var (ownKey, keyProblem) = ReadOwnKey(context, sealer);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        if (ownKey is null && await jobs.UsedOwnKeyAsync(jobId, cancellationToken))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Provider key needed",
                detail: $"Job {id} was made with your own provider key, which is never kept; send it again in the {JobService.OwnKeyHeader} header with the retry.");
        }

        var sealedKey = ownKey is null ? null : sealer.Seal(ownKey, jobId, job.Provider);
        if (await jobs.RetryAsync(jobId, JobService.AnonymousOwner, sealedKey, clock.GetUtcNow(), cancellationToken) is null)
        {
            // Another retry won the race.
            return NotRetryable(id, (await jobs.GetStatusAsync(jobId, cancellationToken)) ?? job.Status);
        }

        var retried = (await jobs.GetAsync(jobId, JobService.AnonymousOwner, cancellationToken))!;
        return TypedResults.Accepted(urls.Job(jobId), JobView.From(retried, urls));
    }

    private static ProblemHttpResult NotRetryable(string id, string status) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status409Conflict,
            title: "Job cannot be retried",
            detail: $"Job {id} is {status}; only failed or canceled jobs can be retried.");

    public static async Task<Results<Ok<JobPage>, ValidationProblem>> ListJobs(
        string? status, string? provider, string? limit, string? cursor, JobRepository jobs, PublicUrls urls, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !JobStatus.All.Contains(status))
        {
            errors["status"] = [$"status '{status}' is not one of: {string.Join(", ", JobStatus.All)}."];
        }

        var pageSize = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > MaxPageSize))
        {
            errors["limit"] = [$"limit must be a whole number from 1 to {MaxPageSize}."];
        }

        JobCursor? after = null;
        if (cursor is not null && !TryDecodeCursor(cursor, out after))
        {
            errors["cursor"] = ["cursor is not one this API returned: pass next_cursor from the previous page unchanged."];
        }

        if (errors.Count > 0)
        {
            return ValidationFailed(errors);
        }

        var (page, next) = await jobs.ListAsync(JobService.AnonymousOwner, status, string.IsNullOrWhiteSpace(provider) ? null : provider, pageSize, after, cancellationToken);
        return TypedResults.Ok(new JobPage("list", page.Select(j => JobView.From(j, urls)).ToList(), next is not null, next is null ? null : EncodeCursor(next)));
    }

    /// <summary>The caller's own provider key, if sent; refused when this gateway cannot seal it for the worker.</summary>
    public static (string? Key, IResult? Problem) ReadOwnKey(HttpContext context, CredentialSealer sealer)
    {
        var key = context.Request.Headers[JobService.OwnKeyHeader].ToString().Trim();
        if (key.Length == 0)
        {
            return (null, null);
        }

        return sealer.IsEnabled
            ? (key, null)
            : (null, TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Per-request provider keys are not enabled",
                detail: $"This gateway cannot pass your own key to a provider safely: its operator has not set {CredentialSealer.ConfigurationKey}. Send the request without {JobService.OwnKeyHeader}."));
    }

    public static ValidationProblem ValidationFailed(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(
            errors,
            detail: string.Join(" ", errors.SelectMany(e => e.Value)),
            title: "The request is invalid");

    public static ProblemHttpResult JobNotFound(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Job not found",
            detail: $"There is no job with id '{id}'. Job ids are the 'id' returned by POST /v1/jobs.");

    public static string EncodeCursor(JobCursor cursor) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{cursor.CreatedAt.UtcTicks}:{cursor.Id:N}"));

    public static bool TryDecodeCursor(string value, out JobCursor? cursor)
    {
        cursor = null;
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split(':');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks is > 0 and < 3155378975999999999
                && Guid.TryParseExact(parts[1], "N", out var id))
            {
                cursor = new JobCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}
