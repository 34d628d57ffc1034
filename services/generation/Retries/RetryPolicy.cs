using ImageGen.Contracts;
using ImageGen.Generation.Model;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Retries;

/// <summary>When a failed attempt is tried again, bound from <c>Generation:Retry</c>.</summary>
public sealed class RetryOptions
{
    public const string SectionName = "Generation:Retry";

    /// <summary>Attempts a job gets in all, the first included; 1 turns automatic retries off.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The wait before the first retry; each further one waits twice as long (with jitter).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// With a fallback chain, the longest wait for the same provider before moving on to the next one instead
    /// (a provider asking for a minute's pause is better replaced than waited for).
    /// </summary>
    public TimeSpan MaxWaitBeforeFallback { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest backoff between attempts.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A provider's Retry-After is honoured up to this; a longer one ends the job as failed now (with the provider's
    /// retry_after on it) rather than keeping the caller waiting for minutes.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Decides whether a failed attempt is retried and after how long: only retryable failures, exponential backoff
/// with full jitter, never sooner than the provider's Retry-After.
/// </summary>
public sealed class RetryPolicy(IOptions<RetryOptions> options)
{
    /// <summary>Failures another provider may well not have; a refused prompt or a malformed request would fail anywhere.</summary>
    public static bool OtherProvidersMayDoBetter(string errorCode) =>
        errorCode is ErrorCodes.ProviderUnavailable or ErrorCodes.Timeout or ErrorCodes.RateLimited or ErrorCodes.Internal
            or ErrorCodes.Authentication or ErrorCodes.InsufficientCredit;

    /// <summary>
    /// Where and when a job whose current attempt failed goes next: the same route again after a backoff (within its
    /// attempts, and not for longer than <see cref="RetryOptions.MaxWaitBeforeFallback"/> when another route is waiting),
    /// else the next route of its chain at once; null when the failure ends the job.
    /// </summary>
    public (JobRoute Route, TimeSpan Delay)? NextAttempt(JobRouting routing, ImageGenerationFailed failed)
    {
        var routes = routing.Routes;
        var index = routing.CurrentIndex;
        var hasNext = index >= 0 && index + 1 < routes.Count;
        var again = index >= 0 ? DelayAfter(routing.AttemptsOnRoute, failed.Retryable, failed.RetryAfterSeconds) : null;
        if (again is { } delay && (!hasNext || delay <= options.Value.MaxWaitBeforeFallback))
        {
            return (routes[index], delay);
        }

        return hasNext && OtherProvidersMayDoBetter(failed.ErrorCode) ? (routes[index + 1], TimeSpan.Zero) : null;
    }

    /// <summary>The wait before the next attempt, or null when the failure ends the job.</summary>
    public TimeSpan? DelayAfter(int attempt, bool retryable, int? retryAfterSeconds)
    {
        var o = options.Value;
        if (!retryable || attempt >= o.MaxAttempts)
        {
            return null;
        }

        var retryAfter = retryAfterSeconds is > 0 ? TimeSpan.FromSeconds(retryAfterSeconds.Value) : TimeSpan.Zero;
        if (retryAfter > o.MaxRetryAfter)
        {
            return null;
        }

        var ceiling = TimeSpan.FromTicks(Math.Min(o.MaxDelay.Ticks, o.BaseDelay.Ticks * (1L << Math.Min(attempt - 1, 20))));
        // Half fixed, half random: retries of many jobs that failed together do not arrive together.
        var backoff = ceiling / 2 + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (ceiling.Ticks / 2)));
        return retryAfter > backoff ? retryAfter : backoff;
    }
}
