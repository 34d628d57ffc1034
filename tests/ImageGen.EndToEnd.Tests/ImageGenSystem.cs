using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using ImageGen.Providers.Tests.Fakes;
using ImageGen.Testing;

namespace ImageGen.EndToEnd.Tests;

/// <summary>
/// The whole system as the AppHost composes it: gateway, generation, the builtin provider worker,
/// storage and stats, each a real process, on real PostgreSQL (fresh databases), RabbitMQ (a vhost
/// of its own) and Redis. Tests talk to it only through the gateway.
/// </summary>
public sealed class ImageGenSystem : IAsyncLifetime
{
    private static readonly string[] Services = ["storage", "generation", "provider-builtin", "provider-openai", "provider-dashscope", "provider-replicate", "stats", "gateway"];
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(4);

    private TemporaryDatabase? _jobsDb;
    private TemporaryDatabase? _statsDb;
    private DistributedApplication? _app;
    private string? _storageRoot;

    public HttpClient Gateway { get; private set; } = null!;

    /// <summary>OpenAI's API as a fake on loopback: the system's openai worker talks to it.</summary>
    public OpenAiFake OpenAi { get; private set; } = null!;

    /// <summary>DashScope's asynchronous task API as a fake: the system's dashscope worker submits and polls it.</summary>
    public FakeProviderServer DashScope { get; private set; } = null!;

    /// <summary>Replicate's prediction API as a fake that calls back: the system's replicate worker is told the gateway's webhook address.</summary>
    public ReplicateFake Replicate { get; private set; } = null!;

    public string StorageRoot => _storageRoot!;

    public async Task InitializeAsync()
    {
        _jobsDb = await TemporaryDatabase.CreateAsync("e2e");
        _statsDb = await TemporaryDatabase.CreateAsync("e2estats");
        _storageRoot = Directory.CreateTempSubdirectory("imagegen-e2e-").FullName;
        OpenAi = await OpenAiFake.StartAsync();
        DashScope = await DashScopeFake.StartAsync();
        Replicate = await ReplicateFake.StartAsync();

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.ImageGen_AppHost>(
        [
            $"ConnectionStrings:imagegendb={_jobsDb.ConnectionString}",
            $"ConnectionStrings:statsdb={_statsDb.ConnectionString}",
            $"ConnectionStrings:messaging={TestInfrastructure.RabbitMqFor("e2e")}",
            $"ConnectionStrings:redis={TestInfrastructure.Redis}",
            $"Storage:RootPath={_storageRoot}",
            "Gateway:Port=0",
            "Providers:Enabled:0=builtin",
            "Providers:Enabled:1=openai",
            $"Providers:openai:BaseUrl={OpenAi.BaseUrl}",
            $"Providers:openai:ApiKey={OpenAiFake.Key}",
            "Providers:Enabled:2=dashscope",
            $"Providers:dashscope:BaseUrl={DashScope.Url("api/v1")}",
            $"Providers:dashscope:ApiKey={DashScopeFake.ApiKey}",
            // Polls at the provider's cadence would make a slow test; the schedule is what is under test.
            "Providers:dashscope:Options:PollInterval=00:00:00.200",
            "Providers:dashscope:Options:MaxPollInterval=00:00:00.500",
            "Providers:Enabled:3=replicate",
            $"Providers:replicate:BaseUrl={Replicate.Server.Url("v1")}",
            $"Providers:replicate:ApiKey={ReplicateFake.ApiKey}",
            $"Providers:replicate:Options:WebhookSecret={ReplicateFake.Secret}",
            // Answer at once and poll only every 10 minutes: a job that ends in seconds was ended by the webhook.
            "Providers:replicate:Options:PreferWait=0",
            "Providers:replicate:Options:WebhookPollInterval=00:10:00",
            "Webhooks:UseGatewayAddress=true",
            // The fakes serve result URLs on loopback, which the fetcher otherwise refuses.
            $"Providers:Fetch:AllowedHosts:0={OpenAi.Server.HostAndPort}",
            $"Providers:Fetch:AllowedHosts:1={DashScope.HostAndPort}",
            $"Providers:Fetch:AllowedHosts:2={Replicate.Server.HostAndPort}",
        ]);

        _app = await builder.BuildAsync();
        using var startup = new CancellationTokenSource(StartupTimeout);
        await _app.StartAsync(startup.Token);
        foreach (var service in Services)
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(service, startup.Token);
        }

        Gateway = _app.CreateHttpClient("gateway");
        Gateway.Timeout = TimeSpan.FromMinutes(3);
    }

    /// <summary>Polls a job through the gateway until it is terminal (bounded: delivery is asynchronous).</summary>
    public async Task<JsonElement> WaitForTerminalAsync(string jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await Gateway.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}");
            if (job.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled" || DateTime.UtcNow > deadline)
            {
                return job;
            }

            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_jobsDb is not null)
        {
            await _jobsDb.DisposeAsync();
        }

        if (_statsDb is not null)
        {
            await _statsDb.DisposeAsync();
        }

        if (_storageRoot is not null)
        {
            Directory.Delete(_storageRoot, recursive: true);
        }

        if (OpenAi is not null)
        {
            await OpenAi.DisposeAsync();
        }

        if (DashScope is not null)
        {
            await DashScope.DisposeAsync();
        }

        if (Replicate is not null)
        {
            await Replicate.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ImageGenSystemCollection : ICollectionFixture<ImageGenSystem>
{
    public const string Name = "the whole system";
}
