using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Retrying_failed_attempts(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    [Fact]
    public async Task A_rate_limited_attempt_is_retried_after_the_providers_retry_after_and_the_job_succeeds_once()
    {
        var (id, job) = await SubmitAndWaitAsync($"flaky:rate_limited:2 {Guid.NewGuid():N}");

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        var attempts = job.GetProperty("attempt_details").EnumerateArray().ToList();
        Assert.Equal(["failed", "succeeded"], attempts.Select(a => a.GetProperty("status").GetString()));
        Assert.Equal("rate_limited", attempts[0].GetProperty("error").GetProperty("code").GetString());
        Assert.True(attempts[0].GetProperty("retryable").GetBoolean());
        Assert.Equal(0.01m, attempts[0].GetProperty("cost_usd").GetDecimal());
        var firstEnded = attempts[0].GetProperty("completed_at").GetDateTimeOffset();
        Assert.True(attempts[1].GetProperty("scheduled_at").GetDateTimeOffset() >= firstEnded.AddSeconds(2));
        var sent = service.Attempts.Where(a => a.Command.JobId == id).ToList();
        Assert.Equal([1, 2], sent.Select(a => a.Command.Attempt));
        Assert.True(sent[1].ReceivedAt >= firstEnded.AddSeconds(2), "the retry waited out Retry-After");
        Assert.Single(job.GetProperty("images").EnumerateArray());
    }

    [Fact]
    public async Task A_failure_that_is_not_retryable_ends_the_job_at_once()
    {
        var (id, job) = await SubmitAndWaitAsync($"fail-first:content_policy {Guid.NewGuid():N}");

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("content_policy", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Single(job.GetProperty("attempt_details").EnumerateArray());
        Assert.Single(service.Attempts, a => a.Command.JobId == id);
    }

    [Fact]
    public async Task Retryable_failures_stop_after_the_configured_attempts_with_the_last_error_on_the_job()
    {
        var (id, job) = await SubmitAndWaitAsync($"always:provider_unavailable {Guid.NewGuid():N}");

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("provider_unavailable", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(3, job.GetProperty("attempts").GetInt32());
        Assert.All(job.GetProperty("attempt_details").EnumerateArray(), a => Assert.Equal("failed", a.GetProperty("status").GetString()));
        Assert.Equal(3, service.Attempts.Count(a => a.Command.JobId == id));
    }

    [Fact]
    public async Task A_retry_that_waits_for_a_long_retry_after_is_not_sent_once_the_job_is_canceled()
    {
        var response = await PostAsync($"flaky:rate_limited:3 {Guid.NewGuid():N}");
        var id = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        await WaitUntilAsync(async () => (await GetAsync(id)).GetProperty("attempts").GetInt32() == 2);

        var canceled = await _client.PostAsync($"/v1/jobs/{id}/cancel", null);
        await Task.Delay(TimeSpan.FromSeconds(4));

        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        var job = await GetAsync(id);
        Assert.Equal("canceled", job.GetProperty("status").GetString());
        Assert.Equal(["failed", "canceled"], job.GetProperty("attempt_details").EnumerateArray().Select(a => a.GetProperty("status").GetString()));
        Assert.Single(service.Attempts, a => a.Command.JobId == id);
    }

    [Fact]
    public async Task A_failed_job_retried_by_hand_runs_a_new_attempt_and_keeps_the_first_in_its_history()
    {
        var (id, failed) = await SubmitAndWaitAsync($"fail-first:invalid_request {Guid.NewGuid():N}");
        Assert.Equal("failed", failed.GetProperty("status").GetString());

        var retry = await _client.PostAsync($"/v1/jobs/{id}/retry", null);
        var job = await service.WaitForTerminalAsync(_client, $"/v1/jobs/{id}");

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal("queued", (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.False(job.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null);
        Assert.Equal(["failed", "succeeded"], job.GetProperty("attempt_details").EnumerateArray().Select(a => a.GetProperty("status").GetString()));
        Assert.Equal([1, 2], service.Attempts.Where(a => a.Command.JobId == id).Select(a => a.Command.Attempt));
    }

    [Fact]
    public async Task Only_failed_or_canceled_jobs_can_be_retried()
    {
        var (id, done) = await SubmitAndWaitAsync($"a calm sea {Guid.NewGuid():N}");
        Assert.Equal("succeeded", done.GetProperty("status").GetString());

        var succeeded = await _client.PostAsync($"/v1/jobs/{id}/retry", null);
        var unknown = await _client.PostAsync($"/v1/jobs/{Guid.NewGuid()}/retry", null);

        Assert.Equal(HttpStatusCode.Conflict, succeeded.StatusCode);
        Assert.Contains("only failed or canceled", (await succeeded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_job_made_with_the_callers_own_key_needs_the_key_again_to_be_retried()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new StringContent($$"""{"prompt":"fail-first:invalid_request {{Guid.NewGuid():N}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Provider-Key", "sk-own-key-for-retry");
        var created = await _client.SendAsync(request);
        var id = Guid.Parse((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        await service.WaitForTerminalAsync(_client, $"/v1/jobs/{id}");

        var withoutKey = await _client.PostAsync($"/v1/jobs/{id}/retry", null);
        using var again = new HttpRequestMessage(HttpMethod.Post, $"/v1/jobs/{id}/retry");
        again.Headers.Add("X-Provider-Key", "sk-own-key-for-retry");
        var withKey = await _client.SendAsync(again);

        Assert.Equal(HttpStatusCode.BadRequest, withoutKey.StatusCode);
        Assert.Contains("X-Provider-Key", (await withoutKey.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Accepted, withKey.StatusCode);
        await WaitUntilAsync(() => Task.FromResult(service.Attempts.Count(a => a.Command.JobId == id) == 2));
        Assert.NotNull(service.Attempts.Last(a => a.Command.JobId == id).Command.SealedCredential);
    }

    private async Task<HttpResponseMessage> PostAsync(string prompt) =>
        await _client.PostAsync("/v1/jobs", new StringContent(JsonSerializer.Serialize(new { prompt }), Encoding.UTF8, "application/json"));

    private async Task<(Guid Id, JsonElement Job)> SubmitAndWaitAsync(string prompt)
    {
        var response = await PostAsync(prompt);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        return (id, await service.WaitForTerminalAsync(_client, $"/v1/jobs/{id}"));
    }

    private async Task<JsonElement> GetAsync(Guid id) => await _client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            await Task.Delay(50, patience.Token);
        }
    }
}
