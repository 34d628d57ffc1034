namespace ImageGen.Generation.Model;

/// <summary>Body of <c>POST /v1/jobs</c>, as the client sent it. Everything but the prompt is optional.</summary>
public sealed record CreateJobRequest(
    string? Prompt,
    string? NegativePrompt = null,
    string? Provider = null,
    string? Model = null,
    string? Size = null,
    int? N = null,
    long? Seed = null,
    string? OutputFormat = null,
    Dictionary<string, string>? Metadata = null);
