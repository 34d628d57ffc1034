using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Polling;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Polling;

/// <summary>
/// A provider's webhook, as the gateway forwards it to the worker at <c>/v1/webhooks/{provider}</c>: checked, then
/// the task is polled at once. The test provider polls only hourly, so anything that ends quickly was ended by a webhook.
/// </summary>
public sealed class Receiving_provider_webhooks
{
    [Fact]
    public async Task A_task_is_submitted_with_its_provider_s_public_webhook_address()
    {
        await using var worker = await AsyncProviderWorker.StartAsync(webhooks: true);
        var command = worker.Command();

        await worker.Bus.SendAsync(worker.ProviderId, command);
        await worker.WaitForScheduledJsonAsync(command);

        Assert.Equal(new Uri($"{AsyncProviderWorker.PublicBaseUrl}v1/webhooks/{worker.ProviderId}"), Assert.Single(worker.WebhookProvider!.WebhookUrls));
    }

    [Fact]
    public async Task A_signed_webhook_has_the_task_polled_at_once_and_a_burst_of_them_ends_the_job_once()
    {
        await using var worker = await AsyncProviderWorker.StartAsync(webhooks: true);
        var command = worker.Command();
        var taskId = await SubmitAsync(worker, command);
        Assert.True(await worker.Schedule.DueAsync(worker.ProviderId, Key(command)) > DateTimeOffset.UtcNow.AddMinutes(5));
        using var client = worker.Worker!.CreateClient();

        // The fake finishes a task on its second poll: the first webhook's poll finds it running.
        var first = await PostWebhookAsync(client, worker.ProviderId, WebhookTestProvider.Sign(taskId));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("polling_now", (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        await WaitUntilAsync(() => Polls(worker) == 1);
        await WaitUntilAsync(async () => await worker.Schedule.DueAsync(worker.ProviderId, Key(command)) > DateTimeOffset.UtcNow.AddMinutes(5));

        var burst = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => PostWebhookAsync(client, worker.ProviderId, WebhookTestProvider.Sign(taskId))));
        var events = await worker.Bus.OutcomesOfAsync(command.JobId);

        Assert.All(burst, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var succeeded = Assert.Single(events.OfType<ImageGenerationSucceeded>());
        Assert.Single(succeeded.Images);
        await WaitUntilAsync(async () => await worker.Schedule.DueAsync(worker.ProviderId, Key(command)) is null);
        await Task.Delay(500);
        Assert.Single(worker.Bus.EventsOf(command.JobId).OfType<ImageGenerationSucceeded>());
        Assert.Empty(worker.Bus.EventsOf(command.JobId).OfType<ImageGenerationFailed>());
    }

    [Fact]
    public async Task A_webhook_with_a_bad_or_missing_signature_is_refused_with_401_and_changes_nothing()
    {
        await using var worker = await AsyncProviderWorker.StartAsync(webhooks: true);
        var command = worker.Command();
        var taskId = await SubmitAsync(worker, command);
        var due = await worker.Schedule.DueAsync(worker.ProviderId, Key(command));
        using var client = worker.Worker!.CreateClient();

        var forged = await PostWebhookAsync(client, worker.ProviderId, WebhookTestProvider.Sign(taskId, secret: "not-the-secret"));
        var (body, _) = WebhookTestProvider.Sign(taskId);
        var unsigned = await client.PostAsync($"/v1/webhooks/{worker.ProviderId}", new StringContent(body, Encoding.UTF8, "application/json"));

        foreach (var response in new[] { forged, unsigned })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Contains("signature", (await forged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        await Task.Delay(500);
        Assert.Equal(due, await worker.Schedule.DueAsync(worker.ProviderId, Key(command)));
        Assert.Equal(0, Polls(worker));
        Assert.DoesNotContain(worker.Bus.EventsOf(command.JobId), e => e is ImageGenerationSucceeded or ImageGenerationFailed);
    }

    [Fact]
    public async Task A_progress_notice_or_a_webhook_about_an_unknown_task_is_acknowledged_and_changes_nothing()
    {
        await using var worker = await AsyncProviderWorker.StartAsync(webhooks: true);
        var command = worker.Command();
        var taskId = await SubmitAsync(worker, command);
        var due = await worker.Schedule.DueAsync(worker.ProviderId, Key(command));
        using var client = worker.Worker!.CreateClient();

        var progress = await PostWebhookAsync(client, worker.ProviderId, WebhookTestProvider.Sign(taskId, status: "running"));
        var unknown = await PostWebhookAsync(client, worker.ProviderId, WebhookTestProvider.Sign("task-nobody-submitted"));

        Assert.Equal("progress_ignored", (await progress.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        Assert.Equal("not_pending", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        await Task.Delay(500);
        Assert.Equal(due, await worker.Schedule.DueAsync(worker.ProviderId, Key(command)));
        Assert.Equal(0, Polls(worker));
    }

    [Fact]
    public async Task Webhooks_for_another_provider_and_oversized_ones_are_refused_with_problem_details()
    {
        await using var worker = await AsyncProviderWorker.StartAsync(webhooks: true);
        using var client = worker.Worker!.CreateClient();

        var elsewhere = await PostWebhookAsync(client, "replicate", WebhookTestProvider.Sign("task-1"));
        var oversized = await client.PostAsync($"/v1/webhooks/{worker.ProviderId}", new ByteArrayContent(new byte[1024 * 1024 + 1]));

        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        Assert.Contains(worker.ProviderId, (await elsewhere.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal("application/problem+json", oversized.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_canceled_job_s_task_leaves_the_schedule_and_is_canceled_at_the_provider_once()
    {
        await using var worker = await AsyncProviderWorker.StartAsync(webhooks: true);
        var command = worker.Command();
        var taskId = await SubmitAsync(worker, command);

        await worker.Bus.PublishAsync(new GenerationCanceled(command.JobId, command.Attempt, worker.ProviderId, DateTimeOffset.UtcNow));
        await WaitUntilAsync(() => !worker.WebhookProvider!.Cancels.IsEmpty);
        await Task.Delay(300);

        Assert.Equal((taskId, true), Assert.Single(worker.WebhookProvider!.Cancels));
        Assert.Null(await worker.Schedule.DueAsync(worker.ProviderId, Key(command)));
        using var client = worker.Worker!.CreateClient();
        var late = await PostWebhookAsync(client, worker.ProviderId, WebhookTestProvider.Sign(taskId));
        Assert.Equal("not_pending", (await late.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
    }

    private static async Task<string> SubmitAsync(AsyncProviderWorker worker, GenerateImage command)
    {
        await worker.Bus.SendAsync(worker.ProviderId, command);
        using var json = JsonDocument.Parse(await worker.WaitForScheduledJsonAsync(command));
        return json.RootElement.GetProperty("taskId").GetString()!;
    }

    private static async Task<HttpResponseMessage> PostWebhookAsync(HttpClient client, string provider, (string Body, string Signature) webhook)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/webhooks/{provider}")
        {
            Content = new StringContent(webhook.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Test-Signature", webhook.Signature);
        return await client.SendAsync(request);
    }

    private static string Key(GenerateImage command) => $"{command.JobId:N}:{command.Attempt}";

    private static int Polls(AsyncProviderWorker worker) =>
        worker.Provider.Requests.Count(r => r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal));

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            await Task.Delay(25, patience.Token);
        }
    }
}
