using System.Net.Http.Json;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Generation.Resilience;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Tests.Resilience;

/// <summary>GET /v1/providers shows each model's circuit. Catalog providers no other test sends jobs to are used.</summary>
[Collection(GenerationServiceCollection.Name)]
public class Showing_circuits_on_providers(GenerationServiceFixture service) : IAsyncLifetime
{
    private readonly HttpClient _client = service.CreateClient();

    private ICircuitBreakers Circuits => service.Services.GetRequiredService<ICircuitBreakers>();

    private static JsonElement Circuit(JsonElement provider, string model) =>
        provider.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("id").GetString() == model).GetProperty("circuit");

    [Fact]
    public async Task A_healthy_model_shows_a_closed_automatic_circuit()
    {
        var provider = await _client.GetFromJsonAsync<JsonElement>("/v1/providers/cloudflare");

        Assert.All(provider.GetProperty("models").EnumerateArray(), m =>
        {
            var circuit = m.GetProperty("circuit");
            // Null fields are left out of every response, as elsewhere in the API.
            Assert.Equal(("closed", "auto", false),
                (circuit.GetProperty("state").GetString(), circuit.GetProperty("mode").GetString(), circuit.TryGetProperty("retry_at", out _)));
        });
    }

    [Fact]
    public async Task A_model_opened_by_failures_shows_open_with_when_it_will_be_retried()
    {
        var options = service.Services.GetRequiredService<IOptions<CircuitBreakerOptions>>().Value;
        for (var i = 0; i < options.FailureThreshold; i++)
        {
            await Circuits.RecordFailureAsync("kie", "flux-kontext-max", ErrorCodes.ProviderUnavailable, default);
        }

        var retryAt = (await Circuits.GetAsync("kie", "flux-kontext-max", default)).OpenedAt!.Value + options.BreakDuration;

        var one = await _client.GetFromJsonAsync<JsonElement>("/v1/providers/kie");
        var all = await _client.GetFromJsonAsync<JsonElement>("/v1/providers");

        var fromList = Circuit(all.GetProperty("data").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "kie"), "flux-kontext-max");
        foreach (var circuit in new[] { Circuit(one, "flux-kontext-max"), fromList })
        {
            Assert.Equal("auto", circuit.GetProperty("mode").GetString());
            // The test's break is short: on a slow machine it may already be over, and the circuit half-open.
            if (circuit.GetProperty("state").GetString() == "half_open")
            {
                Assert.True(DateTimeOffset.UtcNow >= retryAt);
                continue;
            }

            Assert.Equal("open", circuit.GetProperty("state").GetString());
            Assert.Equal(retryAt, circuit.GetProperty("retry_at").GetDateTimeOffset());
        }

        Assert.Equal("closed", Circuit(one, "flux-kontext-pro").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_provider_forced_open_shows_on_every_model()
    {
        await Circuits.SetManualAsync("cloudflare", CircuitNames.AllModels, CircuitMode.ForcedOpen, "maintenance", default);

        var provider = await _client.GetFromJsonAsync<JsonElement>("/v1/providers/cloudflare");

        Assert.All(provider.GetProperty("models").EnumerateArray(), m =>
            Assert.Equal(("open", "forced_open"), (m.GetProperty("circuit").GetProperty("state").GetString(), m.GetProperty("circuit").GetProperty("mode").GetString())));
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await Circuits.SetManualAsync("kie", "flux-kontext-max", CircuitMode.Auto, null, default);
        await Circuits.SetManualAsync("cloudflare", CircuitNames.AllModels, CircuitMode.Auto, null, default);
    }
}
