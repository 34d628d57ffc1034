using ImageGen.Contracts;
using ImageGen.Generation.Data;
using ImageGen.Generation.Model;
using ImageGen.Generation.Resilience;
using ImageGen.Generation.Validation;
using ImageGen.ServiceDefaults.Security;

namespace ImageGen.Generation.Apis;

/// <summary>Creates jobs; shared by the native jobs API and the OpenAI-compatible facade.</summary>
public sealed class JobService(
    JobRepository jobs, CredentialSealer sealer, TimeProvider clock, Microsoft.Extensions.Options.IOptions<GenerationOptions> options, PublicUrls urls,
    ICircuitBreakers circuits, Providers.ProviderCatalog catalog)
{
    /// <summary>Until API keys arrive every request belongs to one owner; the column is there already.</summary>
    public const string AnonymousOwner = "anonymous";

    /// <summary>Header that carries a caller's own provider key for one job (bring your own key).</summary>
    public const string OwnKeyHeader = "X-Provider-Key";

    /// <summary>
    /// Where the job starts: its first route whose circuit lets an attempt through (a provider that keeps failing is
    /// skipped for a while). Null, with the open circuits, when none does.
    /// </summary>
    public async Task<(ValidatedJob? Job, IReadOnlyList<CircuitSnapshot> Open)> ChooseStartAsync(ValidatedJob validated, CancellationToken cancellationToken)
    {
        var routes = validated.Request.RoutesOrSelf(validated.Provider.Id, validated.Model.Id);
        var open = new List<CircuitSnapshot>();
        for (var i = 0; i < routes.Count; i++)
        {
            if (await circuits.TryAcquireAsync(routes[i].Provider, routes[i].Model, cancellationToken))
            {
                if (i == 0)
                {
                    return (validated, open);
                }

                var provider = catalog.Find(routes[i].Provider)!.Provider;
                var start = routes[i].Request with
                {
                    Routes = validated.Request.Routes,
                    Warnings = [.. validated.Request.Warnings ?? [], .. open.Select(c => $"providers: {c.Provider}/{c.Model} is skipped while its circuit is open.")],
                };
                return (new ValidatedJob(provider, provider.FindModel(routes[i].Model)!, start), open);
            }

            open.Add(await circuits.GetAsync(routes[i].Provider, routes[i].Model, cancellationToken));
        }

        return (null, open);
    }

    /// <summary>The 503 for a job none of whose providers may be tried now, with when to come back.</summary>
    public static IResult AllCircuitsOpen(IReadOnlyList<CircuitSnapshot> open, HttpContext context, DateTimeOffset now)
    {
        var retryAt = open.Select(c => c.RetryAt).Where(t => t is not null).DefaultIfEmpty(now.AddSeconds(30)).Min()!.Value;
        var seconds = Math.Max(1, (int)Math.Ceiling((retryAt - now).TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Provider temporarily out of rotation",
            detail: $"Every provider this job could use has been failing and is paused ({string.Join(", ", open.Select(c => $"{c.Provider}/{c.Model}"))}); try again in {seconds} s, or name other providers.",
            extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.ProviderUnavailable, ["retry_after"] = seconds });
    }

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
            // Callbacks are sent outside any request: the links in them use the address this one came in at.
            Request: validated.Request.CallbackUrl is null ? validated.Request : validated.Request with { PublicBaseUrl = urls.Base() },
            Attempts: 0,
            Error: null,
            CreatedAt: now,
            UpdatedAt: now,
            StartedAt: null,
            CompletedAt: null,
            Images: [],
            AttemptHistory: [new JobAttempt(1, validated.Provider.Id, validated.Model.Id, JobStatus.Queued, now, null, null, null, null, null)],
            DeadlineAt: now + (validated.Request.DeadlineSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.Value.JobDeadline));

        var command = JobCommands.For(
            job.Id, 1, owner, job.Provider, job.Model, validated.Request, now, ownKey is null ? null : sealer.Seal(ownKey, job.Id, job.Provider));

        return await jobs.CreateAsync(job, command, cancellationToken, idempotency, IdempotencyKeys.Lifetime);
    }
}
