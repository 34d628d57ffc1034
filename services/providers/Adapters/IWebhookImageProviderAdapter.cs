using System.Collections.Frozen;

namespace ImageGen.Providers.Adapters;

/// <summary>
/// An asynchronous provider that can also say when a task has finished, by calling the gateway at
/// <c>/v1/webhooks/{provider}</c>. The worker takes that call (any instance: the schedule is in Redis),
/// has the adapter check that the provider sent it, and then polls the task at once instead of at its
/// next turn. The poll stays the only way an attempt ends, so a webhook and a poll that arrive together
/// still end it once, and a webhook that never comes only costs the poll cadence.
/// </summary>
/// <remarks>
/// The adapter puts <see cref="ProviderRequest.WebhookUrl"/> in its submission when it is set (the worker
/// sets it only when <c>Webhooks:PublicBaseUrl</c> is configured, since a provider must be able to reach it).
/// </remarks>
public interface IWebhookImageProviderAdapter : IAsyncImageProviderAdapter
{
    /// <summary>
    /// Checks that <paramref name="webhook"/> comes from the provider (signature, timestamp, key) and names
    /// the task it is about. Throws <see cref="WebhookRejectedException"/> when it is not authentic or cannot
    /// be read; nothing else may change before that check passes.
    /// </summary>
    Task<ProviderWebhookNotification> ReadWebhookAsync(ProviderWebhookRequest webhook, CancellationToken cancellationToken);
}

/// <summary>One webhook call as received: headers (case-insensitive names), the exact body bytes (signatures cover them) and when it came.</summary>
public sealed class ProviderWebhookRequest
{
    public ProviderWebhookRequest(IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt, Uri? url = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        Headers = headers
            .GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => string.Join(",", g.Select(h => h.Value)), StringComparer.OrdinalIgnoreCase);
        Body = body;
        ReceivedAt = receivedAt;
        Url = url;
    }

    public IReadOnlyDictionary<string, string> Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The URL as the worker received it (path and query), for providers that sign it.</summary>
    public Uri? Url { get; }

    /// <summary>The header's value, or null when it is absent.</summary>
    public string? Header(string name) => Headers.GetValueOrDefault(name);
}

/// <summary>What an authentic webhook said: which task it is about, and whether that task has finished at the provider.</summary>
/// <param name="TaskId">The provider's id of the task, as returned by <see cref="IAsyncImageProviderAdapter.SubmitAsync"/>.</param>
/// <param name="Finished">False for progress notices (started, logs): those are acknowledged and change nothing.</param>
public sealed record ProviderWebhookNotification(string TaskId, bool Finished = true);

/// <summary>A webhook that is not authentic (bad or missing signature, stale timestamp, wrong key) or cannot be read; answered with 401.</summary>
public sealed class WebhookRejectedException(string message) : Exception(message);
