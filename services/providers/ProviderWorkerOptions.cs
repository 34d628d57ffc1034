using System.ComponentModel.DataAnnotations;
using ImageGen.Contracts;

namespace ImageGen.Providers;

/// <summary>Which provider this worker process serves, bound from the <c>Provider</c> section.</summary>
public sealed class ProviderWorkerOptions
{
    public const string SectionName = "Provider";

    /// <summary>The provider id; the worker takes commands from the queue <c>provider-{Id}</c>.</summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$", ErrorMessage = "Provider:Id must be lowercase letters, digits and dashes, as it names a queue.")]
    public string Id { get; set; } = "builtin";

    /// <summary>Commands worked on at once by this process; providers' own rate limits usually decide it.</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// Retries of a command whose infrastructure (storage) failed transiently, before the attempt is
    /// reported as failed. Provider errors are never retried here: the orchestrator decides about those.
    /// </summary>
    [Range(0, 10)]
    public int TransientRetries { get; set; } = 3;

    /// <summary>Delay before the first transient retry; each further retry waits this much longer.</summary>
    public TimeSpan TransientRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the worker reports its status to Redis. Readers count a report for
    /// <see cref="ProviderStatusKeys.FreshFor"/>, so this must stay well below that.
    /// </summary>
    public TimeSpan StatusReportInterval { get; set; } = ProviderStatusKeys.ReportInterval;
}
