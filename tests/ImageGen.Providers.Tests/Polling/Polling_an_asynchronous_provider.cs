using System.Net.Http.Json;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Polling;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Polling;

public sealed class Polling_an_asynchronous_provider
{
    [Fact]
    public async Task A_job_is_submitted_polled_until_done_and_its_images_stored_with_one_success()
    {
        await using var worker = await AsyncProviderWorker.StartAsync();
        var command = worker.Command(prompt: "a lighthouse slow", count: 2);

        var events = await worker.RunAsync(command);

        Assert.IsType<ImageGenerationStarted>(events[0]);
        var succeeded = Assert.Single(events.OfType<ImageGenerationSucceeded>());
        Assert.Empty(events.OfType<ImageGenerationFailed>());
        Assert.Equal((command.JobId, 1, "owner-1", worker.ProviderId), (succeeded.JobId, succeeded.Attempt, succeeded.Owner, succeeded.Provider));
        Assert.Equal(2, succeeded.Images.Count);
        Assert.All(succeeded.Images, image => Assert.Equal((1024, 1024, "image/png"), (image.Width, image.Height, image.ContentType)));
        Assert.All(succeeded.Images, image => Assert.True(worker.Storage.Storage.Objects.ContainsKey(image.StorageKey)));
        Assert.Equal(0.05m, succeeded.CostUsd);
        Assert.Single(worker.Provider.RequestsTo(DashScopeFake.SubmitPath));
        Assert.Equal(5, worker.Provider.Requests.Count(r => r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal)));
        // Done with: nothing left in the schedule.
        Assert.Null(await ScheduledAfterRemovalAsync(worker, $"{command.JobId:N}:1"));
        Assert.Null(await worker.Schedule.DueAsync(worker.ProviderId, $"{command.JobId:N}:1"));
    }

    [Fact]
    public async Task A_task_claimed_by_a_worker_that_died_is_completed_by_another_after_the_lease()
    {
        var lease = TimeSpan.FromSeconds(2);
        await using var worker = await AsyncProviderWorker.StartAsync(lease: lease, start: false);
        var taskId = await SubmitDirectlyAsync(worker.Provider);
        var jobId = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var task = new PendingProviderTask(jobId, 1, "owner-1", worker.ProviderId, DashScopeFake.Flash, now, now, 0.025m, taskId, "1",
            SealedCredential: null, PollCount: 0, Deadline: now.AddMinutes(5));
        await worker.Schedule.AddAsync(task, now);

        // The worker that died: it claimed the task and never came back.
        var claimed = Assert.Single(await worker.Schedule.ClaimDueAsync(worker.ProviderId, DateTimeOffset.UtcNow, lease, 10));
        Assert.Equal(taskId, claimed.TaskId);
        Assert.Empty(await worker.Schedule.ClaimDueAsync(worker.ProviderId, DateTimeOffset.UtcNow, lease, 10));
        var leasedUntil = await worker.Schedule.DueAsync(worker.ProviderId, task.Key);
        Assert.True(leasedUntil > DateTimeOffset.UtcNow);

        worker.StartWorker();
        var events = await worker.Bus.OutcomesOfAsync(jobId);

        var succeeded = Assert.Single(events.OfType<ImageGenerationSucceeded>());
        Assert.Single(succeeded.Images);
        Assert.True(DateTimeOffset.UtcNow >= leasedUntil);
        Assert.Null(await ScheduledAfterRemovalAsync(worker, task.Key));
    }

    [Fact]
    public async Task A_task_past_its_deadline_fails_with_timeout_and_the_per_request_key_is_kept_only_sealed()
    {
        const string ownKey = DashScopeFake.ApiKey;
        await using var worker = await AsyncProviderWorker.StartAsync(apiKey: null, timeout: TimeSpan.FromSeconds(3));
        var command = worker.Command(prompt: "a foggy pier never", perRequestKey: ownKey);

        await worker.Bus.SendAsync(worker.ProviderId, command);
        var stored = await worker.WaitForScheduledJsonAsync(command);
        var events = await worker.Bus.OutcomesOfAsync(command.JobId);

        Assert.DoesNotContain(ownKey, stored, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(stored))
        {
            Assert.Equal(command.SealedCredential, json.RootElement.GetProperty("sealedCredential").GetString());
        }

        var failed = Assert.Single(events.OfType<ImageGenerationFailed>());
        Assert.Equal((ErrorCodes.Timeout, true), (failed.ErrorCode, failed.Retryable));
        Assert.Contains("within 3 s", failed.ErrorMessage);
        Assert.Empty(events.OfType<ImageGenerationSucceeded>());
        Assert.True(worker.Provider.Requests.Count(r => r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal)) >= 2);
        Assert.Null(await ScheduledAfterRemovalAsync(worker, $"{command.JobId:N}:1"));
        Assert.DoesNotContain(worker.Logs.Lines, l => l.Everything.Contains(ownKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_configured_key_is_never_written_to_the_schedule()
    {
        await using var worker = await AsyncProviderWorker.StartAsync(timeout: TimeSpan.FromSeconds(2));
        var command = worker.Command(prompt: "a still lake never");

        await worker.Bus.SendAsync(worker.ProviderId, command);
        var stored = await worker.WaitForScheduledJsonAsync(command);
        await worker.Bus.OutcomesOfAsync(command.JobId);

        Assert.DoesNotContain(DashScopeFake.ApiKey, stored, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(stored);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("sealedCredential").ValueKind);
    }

    [Fact]
    public async Task A_task_that_fails_at_the_provider_ends_the_attempt_with_the_mapped_failure()
    {
        await using var worker = await AsyncProviderWorker.StartAsync();
        var command = worker.Command(prompt: "a crowded beach unsafe-output");

        var events = await worker.RunAsync(command);

        var failed = Assert.Single(events.OfType<ImageGenerationFailed>());
        Assert.Equal((ErrorCodes.ContentPolicy, false), (failed.ErrorCode, failed.Retryable));
        Assert.Contains("DataInspectionFailed", failed.ErrorMessage);
    }

    private static async Task<string> SubmitDirectlyAsync(FakeProviderServer fake)
    {
        using var client = new HttpClient { BaseAddress = fake.BaseAddress };
        using var message = new HttpRequestMessage(HttpMethod.Post, DashScopeFake.SubmitPath.TrimStart('/'))
        {
            Content = JsonContent.Create(new { model = DashScopeFake.Flash, input = new { prompt = "a windmill" }, parameters = new { size = "1024*1024", n = 1 } }),
        };
        message.Headers.Authorization = new("Bearer", DashScopeFake.ApiKey);
        message.Headers.Add("X-DashScope-Async", "enable");
        using var response = await client.SendAsync(message);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("output").GetProperty("task_id").GetString()!;
    }

    /// <summary>
    /// The task's entry once its removal had time to happen: the outcome is published before the task
    /// is removed (a crash in between repeats the outcome, never loses it), so removal trails the event.
    /// </summary>
    private static async Task<string?> ScheduledAfterRemovalAsync(AsyncProviderWorker worker, string key)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? json;
        while ((json = await worker.Schedule.ReadJsonAsync(worker.ProviderId, key)) is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return json;
    }
}
