using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Submitting_jobs_idempotently(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    [Fact]
    public async Task A_retried_submission_with_the_same_key_and_body_gets_the_job_it_created()
    {
        var key = Guid.NewGuid().ToString();
        var prompt = $"idempotent {key}";

        var first = await PostAsync("/v1/jobs", $$"""{"prompt":"{{prompt}}"}""", key);
        var retry = await PostAsync("/v1/jobs", $$"""{ "prompt" : "{{prompt}}" }""", key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        var jobId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.Equal(jobId, (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(1, await JobsWithPromptAsync(prompt));
    }

    [Fact]
    public async Task The_same_key_with_a_different_request_is_refused_with_409_and_creates_nothing()
    {
        var key = Guid.NewGuid().ToString();
        var prompt = $"idempotent conflict {key}";
        await PostAsync("/v1/jobs", $$"""{"prompt":"{{prompt}}"}""", key);

        var reused = await PostAsync("/v1/jobs", $$"""{"prompt":"{{prompt}}","n":2}""", key);
        var otherEndpoint = await PostAsync("/v1/images/generations", $$"""{"prompt":"{{prompt}}"}""", key);

        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Equal("application/problem+json", reused.Content.Headers.ContentType?.MediaType);
        Assert.Contains(key, (await reused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Conflict, otherEndpoint.StatusCode);
        Assert.Equal("invalid_request_error", (await otherEndpoint.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(1, await JobsWithPromptAsync(prompt));
    }

    [Fact]
    public async Task Concurrent_submissions_with_one_key_make_one_job()
    {
        var key = Guid.NewGuid().ToString();
        var prompt = $"idempotent race {key}";

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync("/v1/jobs", $$"""{"prompt":"{{prompt}}"}""", key)));

        var refused = await Task.WhenAll(responses.Where(r => r.StatusCode != HttpStatusCode.Accepted).Select(r => r.Content.ReadAsStringAsync()));
        Assert.True(refused.Length == 0, string.Join(Environment.NewLine, refused));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()));
        Assert.Single(ids.Distinct());
        Assert.Equal(7, responses.Count(r => r.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal(1, await JobsWithPromptAsync(prompt));
    }

    [Fact]
    public async Task The_openai_endpoint_answers_a_retry_with_the_images_of_the_first_request()
    {
        var key = Guid.NewGuid().ToString();
        var body = $$"""{"prompt":"idempotent openai {{key}}","size":"256x256"}""";

        var first = await PostAsync("/v1/images/generations", body, key);
        var retry = await PostAsync("/v1/images/generations", body, key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(first.Headers.GetValues("X-ImageGen-Job-Id").Single(), retry.Headers.GetValues("X-ImageGen-Job-Id").Single());
        Assert.Equal(
            (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("url").GetString(),
            (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("url").GetString());
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("naïve")]
    public async Task A_malformed_key_is_refused_with_a_problem_that_says_what_a_key_looks_like(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent("""{"prompt":"bad key"}""", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("visible ASCII", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_key_longer_than_255_characters_is_refused()
    {
        var response = await PostAsync("/v1/jobs", """{"prompt":"long key"}""", new string('k', 256));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string json, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return await _client.SendAsync(request);
    }

    private async Task<long> JobsWithPromptAsync(string prompt)
    {
        await using var connection = new NpgsqlConnection(service.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM jobs WHERE request->>'prompt' = $1", connection);
        command.Parameters.AddWithValue(prompt);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
