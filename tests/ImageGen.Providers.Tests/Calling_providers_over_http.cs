using System.Net;
using System.Net.Sockets;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ImageGen.Providers.Tests;

public sealed class Calling_providers_over_http : IAsyncLifetime
{
    private const string ProviderId = "acme";
    private FakeProviderServer _fake = null!;
    private int _pollCalls;

    public async Task InitializeAsync()
    {
        _fake = await FakeProviderServer.StartAsync(app =>
        {
            app.MapPost("/v1/images/generations", () => Results.Json(new { data = new[] { new { url = "https://cdn.example/a.png" } } }));
            app.MapPost("/v1/busy", () => Results.StatusCode(503));
            app.MapGet("/v1/tasks/1", () => Interlocked.Increment(ref _pollCalls) <= 2
                ? Results.StatusCode(503)
                : Results.Json(new { task_status = "SUCCEEDED" }));
            app.MapPost("/v1/slow", async (CancellationToken ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(20), ct);
                return Results.Ok();
            });
            app.MapPost("/v1/garbled", () => Results.Text("{\"data\": [", "application/json"));
        });
    }

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    // The real service defaults underneath, so the test also proves their retrying handler is gone.
    private static IHost Host(Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.Services.AddProviderHttpClient(ProviderId, new Uri("https://api.acme.invalid/v1/"));
        return builder.Build();
    }

    private IHost HostForFake(string timeout = "00:00:30") => Host(new()
    {
        ["Providers:acme:BaseUrl"] = _fake.Url("v1").ToString(),
        ["Providers:acme:Timeout"] = timeout,
    });

    private static HttpClient Client(IHost host) => host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ProviderId);

    private sealed record Generated(List<GeneratedUrl> Data);

    private sealed record GeneratedUrl(string Url);

    private sealed record PollAnswer(string TaskStatus);

    [Fact]
    public async Task Requests_go_to_the_configured_base_url_keeping_its_path()
    {
        using var host = HostForFake();
        using var request = ProviderHttp.JsonRequest(HttpMethod.Post, "images/generations", new { Prompt = "a fox", ResponseFormat = "url" }).WithBearer("sk-test");

        var answer = await Client(host).SendForJsonAsync<Generated>(request, "Acme", CancellationToken.None);

        Assert.Equal("https://cdn.example/a.png", Assert.Single(answer.Data).Url);
        var received = Assert.Single(_fake.RequestsTo("/v1/images/generations"));
        Assert.Equal("Bearer sk-test", received.Header("Authorization"));
        Assert.Equal("a fox", received.Json().GetProperty("prompt").GetString());
        Assert.Equal("url", received.Json().GetProperty("response_format").GetString());
    }

    [Fact]
    public void Without_configuration_the_adapters_default_base_url_is_used()
    {
        using var host = Host([]);

        Assert.Equal(new Uri("https://api.acme.invalid/v1/"), Client(host).BaseAddress);
    }

    [Fact]
    public async Task A_failed_generation_is_not_retried_because_a_retry_is_paid_twice()
    {
        using var host = HostForFake();
        using var request = ProviderHttp.JsonRequest(HttpMethod.Post, "busy", new { Prompt = "a fox" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => Client(host).SendForJsonAsync<Generated>(request, "Acme", CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Single(_fake.RequestsTo("/v1/busy"));
    }

    [Fact]
    public async Task A_poll_that_meets_a_transient_error_is_retried()
    {
        using var host = HostForFake();
        using var request = new HttpRequestMessage(HttpMethod.Get, "tasks/1");

        var status = await Client(host).SendForJsonAsync<PollAnswer>(request, "Acme", CancellationToken.None);

        Assert.Equal("SUCCEEDED", status.TaskStatus);
        Assert.Equal(3, _fake.RequestsTo("/v1/tasks/1").Count);
    }

    [Fact]
    public async Task A_provider_slower_than_its_timeout_fails_as_a_timeout()
    {
        using var host = HostForFake(timeout: "00:00:01");
        using var request = ProviderHttp.JsonRequest(HttpMethod.Post, "slow", new { Prompt = "a fox" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => Client(host).SendForJsonAsync<Generated>(request, "Acme", CancellationToken.None));

        Assert.Equal((ErrorCodes.Timeout, true), (error.Code, error.Retryable));
        Assert.Single(_fake.RequestsTo("/v1/slow"));
    }

    [Fact]
    public async Task A_provider_that_cannot_be_reached_is_unavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var host = Host(new() { ["Providers:acme:BaseUrl"] = $"http://127.0.0.1:{closedPort}/v1" });
        using var request = ProviderHttp.JsonRequest(HttpMethod.Post, "images/generations", new { Prompt = "a fox" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => Client(host).SendForJsonAsync<Generated>(request, "Acme", CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("could not be reached", error.Message);
    }

    [Fact]
    public async Task An_answer_that_is_not_the_expected_json_makes_the_provider_unavailable()
    {
        using var host = HostForFake();
        using var request = ProviderHttp.JsonRequest(HttpMethod.Post, "garbled", new { Prompt = "a fox" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => Client(host).SendForJsonAsync<Generated>(request, "Acme", CancellationToken.None));

        Assert.Equal(ErrorCodes.ProviderUnavailable, error.Code);
        Assert.Contains("does not understand", error.Message);
    }

    [Fact]
    public void Settings_of_any_provider_are_read_from_its_own_section()
    {
        using var host = Host(new()
        {
            ["Providers:cloudflare:ApiKey"] = "cf-key",
            ["Providers:cloudflare:Options:AccountId"] = "0123abcd",
            ["Providers:cloudflare:Timeout"] = "00:03:00",
        });
        var settings = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ProviderSettings>>();

        var cloudflare = settings.Get("cloudflare");
        var other = settings.Get("openai");

        Assert.Equal(("cf-key", "0123abcd", TimeSpan.FromMinutes(3)), (cloudflare.ApiKey, cloudflare.Option("accountid"), cloudflare.Timeout));
        Assert.Equal((null, false, ProviderSettings.DefaultTimeout), (other.ApiKey, other.HasApiKey, other.Timeout));
    }
}
