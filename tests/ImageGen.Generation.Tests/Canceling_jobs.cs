using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Contracts;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Canceling_jobs(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    private async Task<Guid> SubmitHeldJobAsync()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"hold for cancel"}""", Encoding.UTF8, "application/json"));
        return Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task A_queued_job_ends_canceled_at_once_and_its_worker_is_told()
    {
        var jobId = await SubmitHeldJobAsync();

        var response = await _client.PostAsync($"/v1/jobs/{jobId}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("canceled", job.GetProperty("status").GetString());
        Assert.True(job.TryGetProperty("completed_at", out _));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!service.Cancellations.ContainsKey(jobId) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var canceled = service.Cancellations[jobId];
        Assert.Equal(("builtin", 1), (canceled.Provider, canceled.Attempt));
    }

    [Fact]
    public async Task An_outcome_arriving_after_the_cancel_changes_nothing()
    {
        var jobId = await SubmitHeldJobAsync();
        await _client.PostAsync($"/v1/jobs/{jobId}/cancel", null);

        var now = DateTimeOffset.UtcNow;
        await service.PublishAsync(new ImageGenerationSucceeded(jobId, 1, "anonymous", "builtin", "procedural-v1",
            [new GeneratedImage($"{new string('c', 64)}.png", 64, 64, "image/png", 1, new string('c', 64))], now, now, now));
        var marker = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"marker after cancel"}""", Encoding.UTF8, "application/json"));
        await service.WaitForTerminalAsync(_client, marker.Headers.Location!.PathAndQuery);
        await Task.Delay(300);

        var job = await _client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}");
        Assert.Equal("canceled", job.GetProperty("status").GetString());
        Assert.Empty(job.GetProperty("images").EnumerateArray());
    }

    [Fact]
    public async Task A_job_that_already_ended_cannot_be_canceled()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"finish first"}""", Encoding.UTF8, "application/json"));
        var done = await service.WaitForTerminalAsync(_client, response.Headers.Location!.PathAndQuery);

        var cancel = await _client.PostAsync($"/v1/jobs/{done.GetProperty("id").GetString()}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Contains("already succeeded", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Canceling_an_unknown_job_is_a_404()
    {
        var response = await _client.PostAsync($"/v1/jobs/{Guid.CreateVersion7()}/cancel", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
