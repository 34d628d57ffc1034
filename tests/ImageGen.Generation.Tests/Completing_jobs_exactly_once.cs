using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Contracts;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Completing_jobs_exactly_once(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    [Fact]
    public async Task A_redelivered_or_late_outcome_changes_nothing_once_the_job_is_terminal()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"exactly once","n":1}""", Encoding.UTF8, "application/json"));
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var jobId = Guid.Parse(created.GetProperty("id").GetString()!);
        var first = await service.WaitForTerminalAsync(_client, $"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", first.GetProperty("status").GetString());

        var now = DateTimeOffset.UtcNow;
        await service.PublishAsync(new ImageGenerationSucceeded(jobId, 1, "anonymous", "builtin", "procedural-v1",
            [new GeneratedImage($"{new string('f', 64)}.png", 64, 64, "image/png", 1, new string('f', 64)), new GeneratedImage($"{new string('e', 64)}.png", 64, 64, "image/png", 1, new string('e', 64))],
            now, now, now));
        await service.PublishAsync(new ImageGenerationFailed(jobId, 1, "anonymous", "builtin", "procedural-v1", ErrorCodes.Internal, "late failure", false, now, now, now));
        await service.PublishAsync(new ImageGenerationStarted(jobId, 1, "builtin", "procedural-v1", now));

        // A marker job submitted after the stray events is processed after them on the same queue,
        // so once it is done the stray events have been consumed too.
        var marker = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"marker"}""", Encoding.UTF8, "application/json"));
        await service.WaitForTerminalAsync(_client, marker.Headers.Location!.PathAndQuery);
        await Task.Delay(500);

        var after = await _client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", after.GetProperty("status").GetString());
        Assert.False(after.TryGetProperty("error", out _));
        Assert.Equal(
            first.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("sha256").GetString()),
            after.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("sha256").GetString()));
        Assert.Equal(first.GetProperty("completed_at").GetString(), after.GetProperty("completed_at").GetString());
    }
}
