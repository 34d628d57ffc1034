using ImageGen.Providers.Adapters;
using ImageGen.Providers.Polling;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Apis;

/// <summary>
/// <c>POST /v1/webhooks/{provider}</c>, reached through the gateway: a provider saying that a task has finished.
/// The adapter checks that the provider sent it (a bad signature is answered 401 and changes nothing); the task is
/// then polled at once, so the webhook and the regular poll, whichever comes first, end the attempt once.
/// </summary>
public static partial class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/webhooks/{provider}", ReceiveAsync)
            .WithName("ReceiveProviderWebhook")
            .WithTags("Webhooks")
            .DisableAntiforgery();
        return app;
    }

    /// <summary>What the provider is told: a webhook that was read is acknowledged whatever became of its task, so it is not sent again.</summary>
    public sealed record WebhookReceipt(string Task, string Outcome);

    public static async Task<Results<Ok<WebhookReceipt>, ProblemHttpResult>> ReceiveAsync(
        string provider,
        HttpContext context,
        ProviderAdapterRegistry adapters,
        IOptions<ProviderWorkerOptions> worker,
        IOptions<WebhookOptions> options,
        TimeProvider time,
        ILoggerFactory loggers,
        ProviderPollSchedule? schedule = null)
    {
        var logger = loggers.CreateLogger(typeof(WebhooksApi).FullName!);
        var cancellationToken = context.RequestAborted;
        if (!string.Equals(provider, worker.Value.Id, StringComparison.Ordinal))
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown webhook",
                $"This worker takes webhooks of the provider '{worker.Value.Id}' only; check the gateway's route for '{provider}'.");
        }

        if (adapters.Find(provider) is not IWebhookImageProviderAdapter adapter || schedule is null)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown webhook", $"The provider '{provider}' does not send webhooks to ImageGen.");
        }

        var body = await ReadBodyAsync(context.Request, options.Value.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Webhook too large",
                $"Webhook bodies are limited to {options.Value.MaxBodyBytes} bytes.");
        }

        var request = context.Request;
        var webhook = new ProviderWebhookRequest(
            request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())),
            body,
            time.GetUtcNow(),
            new Uri($"{request.Path}{request.QueryString}", UriKind.Relative));
        ProviderWebhookNotification notification;
        try
        {
            notification = await adapter.ReadWebhookAsync(webhook, cancellationToken);
        }
        catch (WebhookRejectedException ex)
        {
            LogRejected(logger, provider, ex.Message);
            return Problem(StatusCodes.Status401Unauthorized, "Webhook not authentic", ex.Message);
        }
        catch (ProviderException ex)
        {
            // The check itself could not be made (the provider's key set is unreachable): the provider retries later.
            LogNotChecked(logger, provider, ex.Code);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Webhook not checked",
                "The webhook's signature could not be checked right now; send it again later.");
        }

        if (!notification.Finished)
        {
            return TypedResults.Ok(new WebhookReceipt(notification.TaskId, "progress_ignored"));
        }

        var woken = await schedule.WakeAsync(provider, notification.TaskId, time.GetUtcNow());
        LogWoken(logger, provider, notification.TaskId, woken);
        return TypedResults.Ok(new WebhookReceipt(notification.TaskId, woken switch
        {
            WakeResult.Due => "polling_now",
            WakeResult.AfterCurrentPoll => "polling_after_current_poll",
            _ => "not_pending",
        }));
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook claiming to come from {Provider}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A webhook from {Provider} could not be checked ({ErrorCode}); answered 503 so it is sent again")]
    private static partial void LogNotChecked(ILogger logger, string provider, string errorCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook from {Provider} for task {ProviderTaskId}: {Outcome}")]
    private static partial void LogWoken(ILogger logger, string provider, string providerTaskId, WakeResult outcome);
}
