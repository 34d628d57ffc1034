using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Submitting_jobs(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    private Task<HttpResponseMessage> PostJson(string path, string json) =>
        _client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task An_accepted_job_is_queued_with_a_location_and_runs_to_success()
    {
        var response = await PostJson("/v1/jobs", """{"prompt":"a red fox in snow","size":"512x256","n":2,"seed":7,"metadata":{"post":"42"}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("queued", job.GetProperty("status").GetString());
        Assert.Equal("builtin", job.GetProperty("provider").GetString());
        Assert.Equal("procedural-v1", job.GetProperty("model").GetString());
        Assert.Equal("512x256", job.GetProperty("request").GetProperty("size").GetString());
        Assert.Equal(7, job.GetProperty("request").GetProperty("seed").GetInt64());
        Assert.Equal("42", job.GetProperty("request").GetProperty("metadata").GetProperty("post").GetString());
        Assert.EndsWith($"/v1/jobs/{job.GetProperty("id").GetString()}", response.Headers.Location!.ToString());

        var done = await service.WaitForTerminalAsync(_client, response.Headers.Location.ToString());

        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(1, done.GetProperty("attempts").GetInt32());
        Assert.True(done.TryGetProperty("started_at", out _));
        Assert.True(done.TryGetProperty("completed_at", out _));
        var images = done.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.Equal((512, 256, "image/png"), (i.GetProperty("width").GetInt32(), i.GetProperty("height").GetInt32(), i.GetProperty("content_type").GetString())));
        Assert.StartsWith("http://localhost/files/", images[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task Image_urls_point_at_the_host_the_gateway_was_reached_at()
    {
        var response = await PostJson("/v1/jobs", """{"prompt":"a lighthouse"}""");
        var location = response.Headers.Location!.PathAndQuery;
        await service.WaitForTerminalAsync(_client, location);

        using var request = new HttpRequestMessage(HttpMethod.Get, location);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "images.example.com:8443");
        var job = await (await _client.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.StartsWith("https://images.example.com:8443/files/", job.GetProperty("images")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_failed_attempt_shows_the_unified_error_code_and_message()
    {
        var response = await PostJson("/v1/jobs", """{"prompt":"fail:content_policy please"}""");

        var done = await service.WaitForTerminalAsync(_client, response.Headers.Location!.PathAndQuery);

        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal("content_policy", done.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("content_policy", done.GetProperty("error").GetProperty("message").GetString());
        Assert.Empty(done.GetProperty("images").EnumerateArray());
    }

    [Theory]
    [InlineData("""{"prompt":"fox",""", "not valid JSON")]
    [InlineData("""["fox"]""", "must be a JSON object")]
    [InlineData("""{"prompt":"fox","sise":"512x512"}""", "Unknown field(s): 'sise'")]
    [InlineData("""{"prompt":"fox","n":"two"}""", "'n' has the wrong type")]
    [InlineData("""{"prompt":""}""", "prompt is required")]
    [InlineData("""{"prompt":"fox","n":0}""", "between 1 and 4")]
    [InlineData("""{"prompt":"fox","n":100}""", "between 1 and 4")]
    [InlineData("""{"prompt":"fox","size":"10x10"}""", "width 64-4096")]
    [InlineData("""{"prompt":"fox","size":"99999x2"}""", "width 64-4096")]
    [InlineData("""{"prompt":"fox","provider":"nope"}""", "unknown provider 'nope'")]
    [InlineData("""{"prompt":"fox","model":"builtin/sdxl"}""", "unknown model 'sdxl'")]
    public async Task Bad_input_is_refused_with_problem_json_and_never_queued(string body, string expected)
    {
        var before = service.CommandsReceived;

        var response = await PostJson("/v1/jobs", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        Assert.Equal(before, service.CommandsReceived);
    }

    [Fact]
    public async Task A_prompt_over_4000_characters_is_refused()
    {
        var response = await PostJson("/v1/jobs", JsonSerializer.Serialize(new { prompt = new string('x', 4001) }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("4001 characters", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("prompt")[0].GetString());
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_is_refused_with_413()
    {
        var response = await PostJson("/v1/jobs", JsonSerializer.Serialize(new { prompt = "fox", negative_prompt = new string('x', 1_100_000) }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent("prompt=fox", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("0e7b2a9c-0000-7000-8000-000000000000")]
    [InlineData("not-a-job-id")]
    public async Task An_unknown_job_id_answers_404_problem_json(string id)
    {
        var response = await _client.GetAsync($"/v1/jobs/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(id, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }
}
