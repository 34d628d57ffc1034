namespace ImageGen.Contracts;

/// <summary>
/// What a provider worker reports about itself, every few seconds, in the shared fast store (Redis
/// hash <see cref="ProviderStatusKeys.For"/>, one field per worker instance, JSON). The orchestrator
/// lists a provider as available only while a fresh report says a worker runs and can authenticate.
/// </summary>
/// <param name="CredentialsConfigured">The worker has its own key; without one only per-request keys work.</param>
public record ProviderWorkerStatus(
    string Provider,
    string Instance,
    bool CredentialsConfigured,
    DateTimeOffset ReportedAt,
    string? Detail = null);

public static class ProviderStatusKeys
{
    /// <summary>How often workers report, and how old a report may be before it no longer counts.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(60);

    public static string For(string providerId) => $"imagegen:provider-status:{providerId}";
}
