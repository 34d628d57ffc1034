using ImageGen.Contracts;

namespace ImageGen.Stats.Tests.Infrastructure;

/// <summary>Outcome events as workers publish them, with the timings a test needs to control.</summary>
public static class Outcomes
{
    public static string NewOwner() => $"owner-{Guid.NewGuid():N}";

    public static ImageGenerationSucceeded Succeeded(
        string owner,
        string provider,
        string model,
        DateTimeOffset completedAt,
        int latencyMs = 400,
        int queuedMs = 100,
        int images = 1,
        long bytesPerImage = 1000,
        Guid? jobId = null,
        int attempt = 1,
        decimal? costUsd = null)
    {
        var startedAt = completedAt.AddMilliseconds(-latencyMs);
        var stored = Enumerable.Range(0, images)
            .Select(_ => new GeneratedImage($"images/{Guid.NewGuid():N}.png", 1024, 1024, "image/png", bytesPerImage, new string('a', 64)))
            .ToList();
        return new ImageGenerationSucceeded(jobId ?? Guid.NewGuid(), attempt, owner, provider, model, stored,
            startedAt.AddMilliseconds(-queuedMs), startedAt, completedAt, costUsd);
    }

    public static ImageGenerationFailed Failed(
        string owner,
        string provider,
        string model,
        DateTimeOffset completedAt,
        string errorCode,
        int latencyMs = 400,
        Guid? jobId = null,
        int attempt = 1,
        decimal? costUsd = null)
    {
        var startedAt = completedAt.AddMilliseconds(-latencyMs);
        return new ImageGenerationFailed(jobId ?? Guid.NewGuid(), attempt, owner, provider, model, errorCode,
            "The provider refused the request.", Retryable: errorCode == ErrorCodes.RateLimited,
            startedAt.AddMilliseconds(-100), startedAt, completedAt, CostUsd: costUsd);
    }
}
