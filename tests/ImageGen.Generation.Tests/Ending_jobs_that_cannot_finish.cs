using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Tests;

/// <summary>Jobs that would otherwise never end: past their deadline, or with a command no worker can process.</summary>
[Collection(GenerationServiceCollection.Name)]
public class Ending_jobs_that_cannot_finish(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    [Fact]
    public async Task A_job_still_running_at_its_deadline_fails_with_timeout_and_its_worker_is_told_to_stop()
    {
        var response = await PostAsync($$"""{"prompt":"hold past the deadline {{Guid.NewGuid():N}}","deadline_seconds":5}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = Guid.Parse(accepted.GetProperty("id").GetString()!);
        var deadline = accepted.GetProperty("deadline_at").GetDateTimeOffset();
        Assert.Equal(accepted.GetProperty("created_at").GetDateTimeOffset().AddSeconds(5), deadline);

        var job = await service.WaitForTerminalAsync(_client, $"/v1/jobs/{id}");

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("timeout", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("deadline", job.GetProperty("error").GetProperty("message").GetString());
        Assert.True(job.GetProperty("completed_at").GetDateTimeOffset() >= deadline);
        var attempt = Assert.Single(job.GetProperty("attempt_details").EnumerateArray());
        Assert.Equal(("failed", "timeout"), (attempt.GetProperty("status").GetString(), attempt.GetProperty("error").GetProperty("code").GetString()));
        await WaitUntilAsync(() => service.Cancellations.ContainsKey(id));
    }

    [Fact]
    public async Task A_job_without_a_deadline_of_its_own_gets_the_configured_one()
    {
        var response = await PostAsync("""{"prompt":"default deadline"}""");
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(job.GetProperty("created_at").GetDateTimeOffset().AddMinutes(15), job.GetProperty("deadline_at").GetDateTimeOffset());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(86_401)]
    public async Task A_deadline_out_of_range_is_refused(int seconds)
    {
        var response = await PostAsync($$"""{"prompt":"x","deadline_seconds":{{seconds}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("between 5 and 86400", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("deadline_seconds")[0].GetString());
    }

    [Fact]
    public async Task A_command_the_worker_cannot_process_fails_the_job_visibly_instead_of_leaving_it_queued()
    {
        var response = await PostAsync($$"""{"prompt":"poison {{Guid.NewGuid():N}}"}""");
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var job = await service.WaitForTerminalAsync(_client, $"/v1/jobs/{id}");

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("internal", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("provider-builtin_error", job.GetProperty("error").GetProperty("message").GetString());
    }

    private async Task<HttpResponseMessage> PostAsync(string json) =>
        await _client.PostAsync("/v1/jobs", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(50, patience.Token);
        }
    }
}
