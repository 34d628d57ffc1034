namespace ImageGen.Providers.Apis;

/// <summary>Where providers can reach this deployment's webhooks, bound from <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// The public address of the gateway as providers see it (e.g. <c>https://images.example.com/</c>). Unset, no
    /// webhook is sent to providers and their tasks are only polled: a provider must never be handed an address
    /// it cannot reach (some refuse a job with one).
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The largest webhook body read; providers send a task's status, not images.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The webhook address for <paramref name="provider"/>, or null when no public address is configured.</summary>
    public Uri? UrlFor(string provider)
    {
        if (PublicBaseUrl is null)
        {
            return null;
        }

        var root = PublicBaseUrl.AbsoluteUri.EndsWith('/') ? PublicBaseUrl : new Uri(PublicBaseUrl.AbsoluteUri + "/");
        return new Uri(root, $"v1/webhooks/{Uri.EscapeDataString(provider)}");
    }
}
