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
}

/// <summary>Builds links to stored images as the client sees them: through the gateway, never a provider URL.</summary>
public sealed class PublicUrls(IHttpContextAccessor accessor, Microsoft.Extensions.Options.IOptions<GenerationOptions> options)
{
    public string File(string storageKey) => $"{BaseUrl()}/files/{Uri.EscapeDataString(storageKey)}";

    public string Job(Guid id) => $"{BaseUrl()}/v1/jobs/{id}";

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
