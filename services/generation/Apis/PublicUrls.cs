namespace ImageGen.Generation.Apis;

public sealed class GenerationOptions
{
    public const string SectionName = "Generation";

    /// <summary>
    /// Base URL clients reach the gateway at, for image links (e.g. https://images.example.com).
    /// Empty: taken from each request as forwarded by the gateway.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>How long <c>POST /v1/images/generations</c> waits for its job before answering 504.</summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How long a job may take in all, retries and fallbacks included; past it the job fails with <c>timeout</c> and its
    /// worker is told to stop. Long enough for a slow asynchronous provider (their own limit is 10 minutes).
    /// </summary>
    public TimeSpan JobDeadline { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often overdue jobs are looked for; a bound on how late past its deadline a job is ended.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Builds links to stored images as the client sees them: through the gateway, never a provider URL.</summary>
public sealed class PublicUrls(IHttpContextAccessor accessor, Microsoft.Extensions.Options.IOptions<GenerationOptions> options)
{
    public string File(string storageKey) => $"{BaseUrl()}/files/{Uri.EscapeDataString(storageKey)}";

    public string Job(Guid id) => $"{BaseUrl()}/v1/jobs/{id}";

    /// <summary>The base of public links for the request being served (or the configured one).</summary>
    public string Base() => BaseUrl();

    private string BaseUrl()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl))
        {
            return options.Value.PublicBaseUrl.TrimEnd('/');
        }

        var request = accessor.HttpContext?.Request
                      ?? throw new InvalidOperationException("Image URLs are built while serving a request.");
        return $"{request.Scheme}://{request.Host}{request.PathBase}";
    }
}
