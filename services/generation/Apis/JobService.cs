using ImageGen.Contracts;
using ImageGen.Generation.Data;
using ImageGen.Generation.Model;
using ImageGen.Generation.Validation;

namespace ImageGen.Generation.Apis;

/// <summary>Creates jobs; shared by the native jobs API and the OpenAI-compatible facade.</summary>
public sealed class JobService(JobRepository jobs, TimeProvider clock)
{
    /// <summary>Until API keys arrive every request belongs to one owner; the column is there already.</summary>
    public const string AnonymousOwner = "anonymous";

    public async Task<Job> CreateAsync(ValidatedJob validated, string owner, CancellationToken cancellationToken)
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
            Images: []);

        var request = validated.Request;
        var command = new GenerateImage(
            job.Id,
            Attempt: 1,
            owner,
            job.Provider,
            job.Model,
            request.Prompt,
            request.NegativePrompt,
            request.Width,
            request.Height,
            request.N,
            request.Seed,
            request.OutputFormat,
            now);

        await jobs.CreateAsync(job, command, cancellationToken);
        return job;
    }
}
