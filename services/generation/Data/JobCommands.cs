using ImageGen.Contracts;
using ImageGen.Generation.Model;

namespace ImageGen.Generation.Data;

/// <summary>The command that asks a provider's worker for one attempt of a job, built the same way for the first attempt and every retry.</summary>
public static class JobCommands
{
    public static GenerateImage For(Guid jobId, int attempt, string owner, string provider, string model, JobRequest request, DateTimeOffset requestedAt, string? sealedCredential) =>
        new(
            jobId,
            attempt,
            owner,
            provider,
            model,
            request.Prompt,
            request.NegativePrompt,
            request.Width,
            request.Height,
            request.N,
            request.Seed,
            request.OutputFormat,
            requestedAt,
            request.Parameters,
            sealedCredential,
            request.EstimatedCostUsd,
            request.InputImages);
}
