using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Generation.Apis;
using ImageGen.Generation.Resilience;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Tests.Resilience;

/// <summary>
/// The admin API of the running service. Catalog providers that no other test sends jobs to are used, and every
/// circuit changed is handed back to auto afterwards, since the Redis is shared with other test runs.
/// </summary>
[Collection(GenerationServiceCollection.Name)]
public class Managing_circuits_through_the_admin_api(GenerationServiceFixture service) : IAsyncLifetime
{
    // The key GenerationServiceFixture configures as Admin:ApiKey.
    private const string AdminKey = "generation-tests-admin-key";

    private readonly HttpClient _client = service.CreateClient();

    private HttpRequestMessage Put(string provider, string body, string? key = AdminKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/admin/providers/{provider}/circuit")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add(AdminApi.KeyHeader, key);
        }

        return request;
    }

    private async Task<JsonElement> ListAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/circuits");
        request.Headers.Add(AdminApi.KeyHeader, AdminKey);
        var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(detailPart, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forcing_a_model_open_shows_on_the_circuit_list_and_holds_back_its_attempts()
    {
        var response = await _client.SendAsync(Put("leonardo", """{"model":"kino-xl","mode":"forced_open","reason":"provider incident"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var changed = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").EnumerateArray().Single();
        Assert.Equal(("leonardo", "kino-xl", "open", "forced_open", "provider incident"),
            (changed.GetProperty("provider").GetString(), changed.GetProperty("model").GetString(), changed.GetProperty("state").GetString(),
                changed.GetProperty("mode").GetString(), changed.GetProperty("reason").GetString()));
        Assert.Contains((await ListAsync()).GetProperty("data").EnumerateArray(),
            c => c.GetProperty("provider").GetString() == "leonardo" && c.GetProperty("model").GetString() == "kino-xl" && c.GetProperty("mode").GetString() == "forced_open");
        var circuits = service.Services.GetRequiredService<ICircuitBreakers>();
        Assert.False(await circuits.TryAcquireAsync("leonardo", "kino-xl", default));

        var released = await _client.SendAsync(Put("leonardo", """{"model":"kino-xl","mode":"auto"}"""));

        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.True(await circuits.TryAcquireAsync("leonardo", "kino-xl", default));
        Assert.DoesNotContain((await ListAsync()).GetProperty("data").EnumerateArray(), c => c.GetProperty("provider").GetString() == "leonardo");
    }

    [Fact]
    public async Task A_star_forces_every_model_of_the_provider_and_answers_each_of_them()
    {
        var provider = service.Services.GetRequiredService<Providers.ProviderCatalog>().Find("firefly")!.Provider;

        var response = await _client.SendAsync(Put("firefly", """{"model":"*","mode":"forced_closed","reason":"vendor says all is well"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(provider.Models.Select(m => m.Id), data.Select(c => c.GetProperty("model").GetString()));
        Assert.All(data, c => Assert.Equal(("closed", "forced_closed"), (c.GetProperty("state").GetString(), c.GetProperty("mode").GetString())));
        Assert.Contains((await ListAsync()).GetProperty("data").EnumerateArray(),
            c => c.GetProperty("provider").GetString() == "firefly" && c.GetProperty("model").GetString() == "*");
    }

    [Fact]
    public async Task Without_the_admin_key_it_answers_401_and_changes_nothing()
    {
        var missing = await _client.SendAsync(Put("leonardo", """{"model":"*","mode":"forced_open"}""", key: null));
        var wrong = await _client.SendAsync(Put("leonardo", """{"model":"*","mode":"forced_open"}""", key: "not-the-key"));
        var listWithoutKey = await _client.GetAsync("/v1/admin/circuits");

        await AssertProblemAsync(missing, HttpStatusCode.Unauthorized, AdminApi.KeyHeader);
        await AssertProblemAsync(wrong, HttpStatusCode.Unauthorized, AdminApi.KeyHeader);
        await AssertProblemAsync(listWithoutKey, HttpStatusCode.Unauthorized, AdminApi.KeyHeader);
        var circuit = await service.Services.GetRequiredService<ICircuitBreakers>().GetAsync("leonardo", "kino-xl", default);
        Assert.Equal(CircuitNames.Auto, circuit.Mode);
    }

    [Fact]
    public async Task Without_a_configured_admin_key_the_admin_api_is_disabled()
    {
        // As if Admin:ApiKey were not set: the options the running service reads are swapped for the test.
        var cache = service.Services.GetRequiredService<IOptionsMonitorCache<AdminOptions>>();
        cache.TryRemove(Options.DefaultName);
        cache.TryAdd(Options.DefaultName, new AdminOptions());
        try
        {
            var response = await _client.SendAsync(Put("leonardo", """{"model":"*","mode":"forced_open"}"""));

            await AssertProblemAsync(response, HttpStatusCode.NotFound, "admin API disabled: set Admin:ApiKey");
        }
        finally
        {
            cache.TryRemove(Options.DefaultName);
        }

        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(Put("leonardo", """{"model":"*","mode":"auto"}"""))).StatusCode);
    }

    [Fact]
    public async Task An_unknown_provider_answers_404_naming_the_known_ones()
    {
        var response = await _client.SendAsync(Put("midjourney", """{"model":"*","mode":"forced_open"}"""));

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "Known providers: ");
    }

    [Theory]
    [InlineData("""{"model":"*","mode":"open"}""", "\"forced_open\"")]
    [InlineData("""{"model":"*"}""", "got none")]
    [InlineData("""{"model":"no-such-model","mode":"forced_open"}""", "'kino-xl'")]
    [InlineData("""{"mode":"forced_open"}""", "\"*\" for every model")]
    [InlineData("""{"model":"*","mode":"forced_open","until":"tomorrow"}""", "'until'")]
    [InlineData("""{"model":"*","mode":"forced_open""", "not valid JSON")]
    public async Task A_bad_change_answers_400_saying_how_to_fix_it(string body, string detailPart)
    {
        var response = await _client.SendAsync(Put("leonardo", body));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, detailPart);
        Assert.Equal(CircuitNames.Auto, (await service.Services.GetRequiredService<ICircuitBreakers>().GetAsync("leonardo", "*", default)).Mode);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        var circuits = service.Services.GetRequiredService<ICircuitBreakers>();
        foreach (var (provider, model) in new[] { ("leonardo", "kino-xl"), ("leonardo", "*"), ("firefly", "*") })
        {
            await circuits.SetManualAsync(provider, model, CircuitMode.Auto, null, default);
        }
    }
}
