using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.EndToEnd.Tests;

[Collection(ImageGenSystemCollection.Name)]
public class Refusing_bad_input_at_the_gateway(ImageGenSystem system)
{
    private HttpClient Gateway => system.Gateway;

    public static TheoryData<string, HttpStatusCode, string> BadJobs => new()
    {
        { """{"prompt":"fox",""", HttpStatusCode.BadRequest, "not valid JSON" },
        { """{"size":"512x512"}""", HttpStatusCode.BadRequest, "prompt is required" },
        { """{"prompt":"   "}""", HttpStatusCode.BadRequest, "prompt is required" },
        { JsonSerializer.Serialize(new { prompt = new string('p', 4001) }), HttpStatusCode.BadRequest, "4001 characters" },
        { """{"prompt":"fox","n":0}""", HttpStatusCode.BadRequest, "between 1 and 4" },
        { """{"prompt":"fox","n":100}""", HttpStatusCode.BadRequest, "between 1 and 4" },
        { """{"prompt":"fox","size":"10x10"}""", HttpStatusCode.BadRequest, "width 64-4096" },
        { """{"prompt":"fox","size":"99999x2"}""", HttpStatusCode.BadRequest, "width 64-4096" },
        { """{"prompt":"fox","provider":"midjourney"}""", HttpStatusCode.BadRequest, "unknown provider 'midjourney'" },
        { """{"prompt":"fox","model":"midjourney-v7"}""", HttpStatusCode.BadRequest, "unknown model 'midjourney-v7'" },
        { """{"prompt":"fox","model":"stability/core"}""", HttpStatusCode.BadRequest, "No worker for provider 'stability' is running" },
        { JsonSerializer.Serialize(new { prompt = "fox", negative_prompt = new string('n', 1_100_000) }), HttpStatusCode.RequestEntityTooLarge, "at most 1048576 bytes" },
    };

    [Theory]
    [MemberData(nameof(BadJobs))]
    public async Task A_bad_job_gets_an_actionable_problem_and_never_becomes_a_job(string body, HttpStatusCode status, string expected)
    {
        var before = await CountJobsAsync();

        var response = await Gateway.PostAsync("/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        Assert.Equal(before, await CountJobsAsync());
    }

    [Fact]
    public async Task An_unknown_job_id_is_a_404_problem()
    {
        var response = await Gateway.GetAsync($"/v1/jobs/{Guid.CreateVersion7()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("/v2/jobs")]
    [InlineData("/admin")]
    [InlineData("/files")]
    public async Task An_unknown_route_is_a_404_problem_that_points_at_the_api(string path)
    {
        var response = await Gateway.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("/v1/jobs", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/files/../../etc/passwd")]
    [InlineData("/files/not-a-key.png")]
    public async Task A_malformed_file_key_is_refused_without_touching_the_disk(string path)
    {
        var response = await Gateway.GetAsync(path);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"got {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    private async Task<int> CountJobsAsync()
    {
        var count = 0;
        string? cursor = null;
        do
        {
            var page = await Gateway.GetFromJsonAsync<JsonElement>($"/v1/jobs?limit=100{(cursor is null ? "" : $"&cursor={cursor}")}");
            count += page.GetProperty("data").GetArrayLength();
            cursor = page.GetProperty("has_more").GetBoolean() ? page.GetProperty("next_cursor").GetString() : null;
        }
        while (cursor is not null);

        return count;
    }
}
