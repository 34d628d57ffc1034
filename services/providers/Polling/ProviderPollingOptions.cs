using System.ComponentModel.DataAnnotations;

namespace ImageGen.Providers.Polling;

/// <summary>How the worker polls asynchronous providers, bound from <c>Provider:Polling</c>.</summary>
public sealed class ProviderPollingOptions
{
    public const string SectionName = "Provider:Polling";

    /// <summary>How long an attempt may run at an asynchronous provider when <c>Providers:{id}:Timeout</c> is not set.</summary>
    public static readonly TimeSpan DefaultAsyncTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a claimed task is held by the worker that polls it. A worker that dies mid-poll loses nothing:
    /// the task comes due again when the lease ends. It must outlast one poll with its downloads and uploads.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the schedule is checked when nothing was due; a bound on how late a poll can be.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait before trying again after Redis or storage failed.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(1, 1000)]
    public int ClaimBatch { get; set; } = 32;
}
