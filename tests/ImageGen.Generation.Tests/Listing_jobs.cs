using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Listing_jobs(GenerationServiceFixture service)
{
    private readonly HttpClient _client = service.CreateClient();

    private async Task<string> SubmitAsync(string prompt)
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent(JsonSerializer.Serialize(new { prompt }), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Pages_run_newest_first_without_gaps_or_repeats()
    {
        var submitted = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            submitted.Add(await SubmitAsync($"listing {i}"));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _client.GetFromJsonAsync<JsonElement>($"/v1/jobs?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}");
            var data = page.GetProperty("data").EnumerateArray().ToList();
            Assert.InRange(data.Count, 1, 2);
            seen.AddRange(data.Select(j => j.GetProperty("id").GetString()!));
            cursor = page.GetProperty("has_more").GetBoolean() ? page.GetProperty("next_cursor").GetString() : null;
            pages++;
        }
        while (cursor is not null && pages < 1000);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        var ours = seen.Where(submitted.Contains).ToList();
        submitted.Reverse();
        Assert.Equal(submitted, ours);
    }

    [Fact]
    public async Task Filtering_by_status_returns_only_jobs_in_that_status()
    {
        var failed = await SubmitAsync("fail:internal listing");
        await service.WaitForTerminalAsync(_client, $"/v1/jobs/{failed}");

        var page = await _client.GetFromJsonAsync<JsonElement>("/v1/jobs?status=failed&limit=100");

        var jobs = page.GetProperty("data").EnumerateArray().ToList();
        Assert.Contains(jobs, j => j.GetProperty("id").GetString() == failed);
        Assert.All(jobs, j => Assert.Equal("failed", j.GetProperty("status").GetString()));
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=bogus", "cursor")]
    public async Task Bad_query_parameters_are_refused_naming_the_parameter(string query, string parameter)
    {
        var response = await _client.GetAsync($"/v1/jobs?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(parameter, out _));
    }
}
