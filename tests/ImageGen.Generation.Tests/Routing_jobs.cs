using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageGen.Generation.Tests;

/// <summary>Fallback chains (<c>providers</c>) and <c>"provider": "auto"</c>, with builtin and a second stand-in provider.</summary>
[Collection(GenerationServiceCollection.Name)]
public class Routing_jobs(GenerationServiceFixture service)
{
    private const string Second = GenerationServiceFixture.SecondProvider;
    private readonly HttpClient _client = service.CreateClient();

    [Fact]
    public async Task A_chain_falls_back_to_the_next_provider_once_the_first_has_used_its_retries()
    {
        var (id, job) = await SubmitAndWaitAsync(new { prompt = $"fail-on:builtin:provider_unavailable {Guid.NewGuid():N}", providers = new[] { "builtin", Second } });

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(Second, job.GetProperty("provider").GetString());
        var attempts = job.GetProperty("attempt_details").EnumerateArray().ToList();
        Assert.Equal(["builtin", "builtin", "builtin", Second], attempts.Select(a => a.GetProperty("provider").GetString()));
        Assert.Equal(["failed", "failed", "failed", "succeeded"], attempts.Select(a => a.GetProperty("status").GetString()));
        Assert.Equal([.. Enumerable.Repeat("builtin", 3), Second], service.Attempts.Where(a => a.Command.JobId == id).Select(a => a.Command.Provider));
        Assert.Single(job.GetProperty("images").EnumerateArray());
    }

    [Fact]
    public async Task A_provider_asking_for_a_long_pause_is_replaced_by_the_next_at_once()
    {
        var (_, job) = await SubmitAndWaitAsync(new { prompt = $"fail-on:builtin:rate_limited:60 {Guid.NewGuid():N}", providers = new[] { "builtin", Second } });

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["builtin", Second], job.GetProperty("attempt_details").EnumerateArray().Select(a => a.GetProperty("provider").GetString()));
    }

    [Fact]
    public async Task A_refused_prompt_is_not_sent_to_the_next_provider()
    {
        var (id, job) = await SubmitAndWaitAsync(new { prompt = $"fail-first:content_policy {Guid.NewGuid():N}", providers = new[] { "builtin", Second } });

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("content_policy", job.GetProperty("error").GetProperty("code").GetString());
        Assert.Single(service.Attempts, a => a.Command.JobId == id);
    }

    [Fact]
    public async Task Every_route_is_validated_and_translated_for_its_own_provider_and_the_job_shows_the_chain()
    {
        var response = await PostAsync(new { prompt = "a chain", providers = new[] { "builtin", $"{Second}/workflow" } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("builtin", job.GetProperty("provider").GetString());
        var routes = job.GetProperty("routes").EnumerateArray().ToList();
        Assert.Equal(["builtin", Second], routes.Select(r => r.GetProperty("provider").GetString()));
        Assert.Equal("workflow", routes[1].GetProperty("model").GetString());
        Assert.All(routes, r => Assert.True(r.TryGetProperty("applied_parameters", out _)));
    }

    [Fact]
    public async Task An_unavailable_provider_is_left_out_of_the_chain_with_a_warning()
    {
        var response = await PostAsync(new { prompt = "a chain with a missing link", providers = new[] { "leonardo", "builtin" } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["builtin"], job.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("provider").GetString()));
        Assert.Contains(job.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("leonardo", StringComparison.Ordinal) && w.GetString()!.Contains("left out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Auto_routes_over_every_available_provider_that_can_do_the_job_with_builtin_last()
    {
        var response = await PostAsync(new { prompt = "anything will do", provider = "auto" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        var providers = job.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("provider").GetString()).ToList();
        Assert.Contains(Second, providers);
        Assert.Equal("builtin", providers[^1]);
        Assert.DoesNotContain("leonardo", providers);
        Assert.Equal(providers[0], job.GetProperty("provider").GetString());
    }

    [Theory]
    [InlineData("""{"prompt":"x","providers":["builtin","no-such-provider"]}""", "providers", "neither a provider nor a model")]
    [InlineData("""{"prompt":"x","providers":["builtin"],"provider":"builtin"}""", "providers", "not both")]
    [InlineData("""{"prompt":"x","providers":[]}""", "providers", "1 to 5")]
    [InlineData("""{"prompt":"x","providers":["builtin","builtin"]}""", "providers", "twice")]
    [InlineData("""{"prompt":"x","provider":"auto","model":"procedural-v1"}""", "model", "auto")]
    [InlineData("""{"prompt":"x","providers":["leonardo"]}""", "providers", "No provider can take this request")]
    public async Task A_chain_that_cannot_work_is_refused_with_a_problem_naming_the_field(string body, string field, string message)
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(message, string.Join(" ", problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString())));
    }

    private async Task<HttpResponseMessage> PostAsync(object body) =>
        await _client.PostAsync("/v1/jobs", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    private async Task<(Guid Id, JsonElement Job)> SubmitAndWaitAsync(object body)
    {
        var response = await PostAsync(body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        return (id, await service.WaitForTerminalAsync(_client, $"/v1/jobs/{id}"));
    }
}
