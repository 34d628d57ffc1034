using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Adapters;

namespace ImageGen.Providers.Tests.Polling;

/// <summary>
/// DashScope under a test provider id, made into a webhook provider of the simplest honest kind: a webhook is
/// <c>{"task_id": "…", "status": "done"|"running"}</c> signed with <c>X-Test-Signature: hex(HMAC-SHA256(secret, body))</c>.
/// Its tasks are polled only once an hour, so a task that ends quickly was ended by a webhook. It records the
/// webhook address it was given and every cancel it was asked for.
/// </summary>
public sealed class WebhookTestProvider(string providerId, IAsyncImageProviderAdapter inner) : IWebhookImageProviderAdapter
{
    public const string Secret = "test-webhook-secret";
    public static readonly TimeSpan PollInterval = TimeSpan.FromHours(1);

    public string ProviderId => providerId;

    public bool RequiresCredential => inner.RequiresCredential;

    public ConcurrentQueue<Uri?> WebhookUrls { get; } = new();

    public ConcurrentQueue<(string TaskId, bool HadCredential)> Cancels { get; } = new();

    public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) => inner.GenerateAsync(request, cancellationToken);

    public async Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        WebhookUrls.Enqueue(request.WebhookUrl);
        var submission = await inner.SubmitAsync(request, cancellationToken);
        return submission.Result is null ? ProviderSubmission.Pending(submission.TaskId!, PollInterval, submission.State) : submission;
    }

    public async Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken) =>
        await inner.PollAsync(poll, cancellationToken) switch
        {
            ProviderPollResult.StillRunning running => ProviderPollResult.Pending(PollInterval, running.State),
            var verdict => verdict,
        };

    public Task CancelAsync(ProviderPoll task, CancellationToken cancellationToken)
    {
        Cancels.Enqueue((task.TaskId, task.Credential is { Length: > 0 }));
        return Task.CompletedTask;
    }

    public Task<ProviderWebhookNotification> ReadWebhookAsync(ProviderWebhookRequest webhook, CancellationToken cancellationToken)
    {
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), webhook.Body.Span));
        var given = webhook.Header("X-Test-Signature") ?? throw new WebhookRejectedException("The X-Test-Signature header is missing.");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given)))
        {
            throw new WebhookRejectedException("The signature does not match the body.");
        }

        using var json = JsonDocument.Parse(webhook.Body);
        var root = json.RootElement;
        return Task.FromResult(new ProviderWebhookNotification(root.GetProperty("task_id").GetString()!, root.GetProperty("status").GetString() == "done"));
    }

    /// <summary>A webhook body and its signature; <paramref name="secret"/> other than <see cref="Secret"/> makes a forged one.</summary>
    public static (string Body, string Signature) Sign(string taskId, string status = "done", string secret = Secret)
    {
        var body = JsonSerializer.Serialize(new { task_id = taskId, status });
        return (body, Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
    }
}
