using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Generation.Resilience;
using Microsoft.Extensions.DependencyInjection;

namespace ImageGen.Generation.Tests;

/// <summary>
/// Circuit breakers steering jobs: a provider that keeps failing opens its circuit, jobs fall back past it and start
/// elsewhere, and after the break one probe may close it again. Uses the second stand-in provider, which no other
/// suite sends work to (circuits live in the shared Redis).
/// </summary>
[Collection(GenerationServiceCollection.Name)]
public class Taking_failing_providers_out_of_rotation(GenerationServiceFixture service) : IAsyncLifetime
{
    private const string Second = GenerationServiceFixture.SecondProvider;
    private readonly HttpClient _client = service.CreateClient();

    private ICircuitBreakers Circuits => service.Services.GetRequiredService<ICircuitBreakers>();

    public Task InitializeAsync() => Circuits.SetManualAsync(Second, "*", CircuitMode.Auto, null, default);

    public Task DisposeAsync() => Circuits.SetManualAsync(Second, "*", CircuitMode.Auto, null, default);

    [Fact]
    public async Task A_provider_that_keeps_failing_is_skipped_until_a_probe_after_the_break_succeeds()
    {
        string[] chain = [Second, "builtin"];

        // Five provider failures (three on the first job, two on the second) open the circuit; both jobs end on builtin.
        var first = await SubmitAndWaitAsync(new { prompt = $"fail-on:{Second}:provider_unavailable {Guid.NewGuid():N}", providers = chain });
        var second = await SubmitAndWaitAsync(new { prompt = $"fail-on:{Second}:provider_unavailable {Guid.NewGuid():N}", providers = chain });
        Assert.Equal([Second, Second, Second, "builtin"], Providers(first));
        Assert.Equal([Second, Second, "builtin"], Providers(second));
        Assert.Equal("open", (await Circuits.GetAsync(Second, "workflow", default)).State);

        // While it is open, jobs start on the next provider, and a job with no other provider is told when to come back.
        var skipped = await SubmitAndWaitAsync(new { prompt = $"a calm lake {Guid.NewGuid():N}", providers = chain });
        var alone = await _client.PostAsync("/v1/jobs", Json(new { prompt = "only the failing one", provider = Second }));
        Assert.Equal(["builtin"], Providers(skipped));
        Assert.Contains(skipped.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("circuit is open", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, alone.StatusCode);
        Assert.True(alone.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("provider_unavailable", (await alone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // After the break (3 s here) one probe goes through; it succeeds and the circuit closes.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var probe = await SubmitAndWaitAsync(new { prompt = $"a clear sky {Guid.NewGuid():N}", providers = chain });
        Assert.Equal([Second], Providers(probe));
        Assert.Equal("succeeded", probe.GetProperty("status").GetString());
        Assert.Equal("closed", (await Circuits.GetAsync(Second, "workflow", default)).State);
    }

    [Fact]
    public async Task A_circuit_held_open_by_an_operator_sends_jobs_to_the_next_provider()
    {
        await Circuits.SetManualAsync(Second, "*", CircuitMode.ForcedOpen, "maintenance", default);

        var job = await SubmitAndWaitAsync(new { prompt = $"during maintenance {Guid.NewGuid():N}", providers = new[] { Second, "builtin" } });

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(["builtin"], Providers(job));
    }

    private static List<string?> Providers(JsonElement job) =>
        job.GetProperty("attempt_details").EnumerateArray().Select(a => a.GetProperty("provider").GetString()).ToList();

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private async Task<JsonElement> SubmitAndWaitAsync(object body)
    {
        var response = await _client.PostAsync("/v1/jobs", Json(body));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        return await service.WaitForTerminalAsync(_client, $"/v1/jobs/{id}");
    }
}
