using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Generating_through_the_openai_facade(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    private Task<HttpResponseMessage> Generate(string json) =>
        _client.PostAsync("/v1/images/generations", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task It_waits_for_the_job_and_answers_in_openai_shape()
    {
        var response = await Generate("""{"model":"builtin/procedural-v1","prompt":"a watercolor city","n":2,"size":"256x256","quality":"hd","user":"u1"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.InRange(body.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        var data = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, data.Count);
        Assert.All(data, d => Assert.StartsWith("http://localhost/files/", d.GetProperty("url").GetString()));
        var jobId = Assert.Single(response.Headers.GetValues("X-ImageGen-Job-Id"));
        var job = await _client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_provider_failure_maps_to_the_status_openai_clients_expect_with_an_error_object()
    {
        var response = await Generate("""{"prompt":"fail:rate_limited now"}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rate_limited", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("rate_limit_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("rate_limited", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("""{"prompt":"fox","model":"midjourney-v7"}""", "model")]
    [InlineData("""{"prompt":"fox","size":"10x10"}""", "size")]
    [InlineData("""{"prompt":"fox","response_format":"jpeg"}""", "response_format")]
    [InlineData("""{"model":"builtin"}""", "prompt")]
    public async Task Bad_input_is_a_400_carrying_both_problem_details_and_an_openai_error(string json, string param)
    {
        var response = await Generate(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.Equal(param, body.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_job_that_outlasts_the_wait_answers_504_with_the_job_to_poll()
    {
        var response = await Generate("""{"prompt":"hold this one"}""");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var jobId = body.GetProperty("job_id").GetString();
        Assert.EndsWith($"/v1/jobs/{jobId}", response.Headers.Location!.ToString());
        var job = await _client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}");
        Assert.Equal("queued", job.GetProperty("status").GetString());
    }
}
