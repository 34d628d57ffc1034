using ImageGen.Contracts;
using ImageGen.Generation.Data;
using ImageGen.Generation.Model;
using ImageGen.Generation.Validation;
using ImageGen.ServiceDefaults.Security;

namespace ImageGen.Generation.Apis;

/// <summary>Creates jobs; shared by the native jobs API and the OpenAI-compatible facade.</summary>
public sealed class JobService(JobRepository jobs, CredentialSealer sealer, TimeProvider clock)
{
    /// <summary>Until API keys arrive every request belongs to one owner; the column is there already.</summary>
    public const string AnonymousOwner = "anonymous";

    /// <summary>Header that carries a caller's own provider key for one job (bring your own key).</summary>
    public const string OwnKeyHeader = "X-Provider-Key";

    /// <param name="ownKey">The caller's provider key: sealed into the command, never stored or logged.</param>
    /// <param name="idempotency">The request's Idempotency-Key, if it sent one.</param>
    public async Task<JobCreation> CreateAsync(
        ValidatedJob validated, string owner, string? ownKey, CancellationToken cancellationToken, IdempotencyClaim? idempotency = null)
    {
        // PostgreSQL keeps microseconds: truncate so the 202 answer and later reads agree to the tick.
        var now = clock.GetUtcNow();
        now = now.AddTicks(-(now.UtcTicks % 10));
        var job = new Job(
            Id: Guid.CreateVersion7(now),
            Owner: owner,
            Status: JobStatus.Queued,
            Provider: validated.Provider.Id,
            Model: validated.Model.Id,
            Request: validated.Request,
            Attempts: 0,
            Error: null,
            CreatedAt: now,
            UpdatedAt: now,
            StartedAt: null,
            CompletedAt: null,
            Images: [],
            AttemptHistory: [new JobAttempt(1, validated.Provider.Id, validated.Model.Id, JobStatus.Queued, now, null, null, null, null, null)]);

        var command = JobCommands.For(
            job.Id, 1, owner, job.Provider, job.Model, validated.Request, now, ownKey is null ? null : sealer.Seal(ownKey, job.Id, job.Provider));

        return await jobs.CreateAsync(job, command, cancellationToken, idempotency, IdempotencyKeys.Lifetime);
    }
}
