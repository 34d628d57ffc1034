using System.Security.Cryptography;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.DashScope;
using ImageGen.Providers.Polling;
using ImageGen.Providers.Tests.Fakes;
using ImageGen.ServiceDefaults.Security;
using ImageGen.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Polling;

/// <summary>
/// The real worker host serving the DashScope adapter under a provider id of its own (so its queue and its Redis
/// schedule meet no other run's), against the DashScope fake polling every 100 ms, with fake storage, the real
/// broker and the real Redis.
/// </summary>
public sealed class AsyncProviderWorker : IAsyncDisposable
{
    private AsyncProviderWorker(string providerId, CredentialSealer sealer)
    {
        ProviderId = providerId;
        Sealer = sealer;
    }

    public string ProviderId { get; }

    public CredentialSealer Sealer { get; }

    public FakeProviderServer Provider { get; private set; } = null!;

    public FakeStorageServer Storage { get; private set; } = null!;

    public WebApplicationFactory<Program>? Worker { get; private set; }

    public BusObserver Bus { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>A schedule of the test's own on the same Redis, to look at (or tamper with) what the worker keeps.</summary>
    public ProviderPollSchedule Schedule { get; private set; } = null!;

    public const string PublicBaseUrl = "https://images.example.test/";

    /// <summary>The adapter the worker serves, when started with webhooks.</summary>
    public WebhookTestProvider? WebhookProvider { get; private set; }

    private bool _webhooks;
    private StackExchange.Redis.ConnectionMultiplexer _redis = null!;
    private Dictionary<string, string?> _settings = null!;

    /// <param name="apiKey">The worker's configured key, or null for none.</param>
    /// <param name="timeout">The attempt's deadline (<c>Providers:{id}:Timeout</c>), or null for the default.</param>
    /// <param name="start">False to prepare everything but the worker, which <see cref="StartWorker"/> then starts.</param>
    /// <param name="webhooks">True to serve <see cref="WebhookTestProvider"/> (webhooks, hourly polls) instead of plain DashScope.</param>
    public static async Task<AsyncProviderWorker> StartAsync(
        string? apiKey = DashScopeFake.ApiKey, TimeSpan? timeout = null, TimeSpan? lease = null, bool start = true, bool webhooks = false)
    {
        var sealingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var worker = new AsyncProviderWorker($"async-{Guid.NewGuid():N}"[..18], new CredentialSealer(sealingKey));
        worker.Provider = await DashScopeFake.StartAsync();
        worker.Storage = await FakeStorageServer.StartAsync();
        worker._redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        worker.Schedule = new ProviderPollSchedule(worker._redis, new ConfigurationBuilder().Build(), new FixedOptionsMonitor<ProviderSettings>(new ProviderSettings()));
        worker._settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMqFor("providers"),
            ["ConnectionStrings:redis"] = TestInfrastructure.Redis,
            ["Provider:Id"] = worker.ProviderId,
            ["Provider:TransientRetries"] = "1",
            ["Provider:TransientRetryDelay"] = "00:00:00.200",
            ["Provider:Polling:CheckInterval"] = "00:00:00.100",
            ["Provider:Polling:RetryDelay"] = "00:00:00.200",
            ["Provider:Polling:Lease"] = (lease ?? TimeSpan.FromSeconds(30)).ToString("c"),
            ["services:storage:grpc:0"] = worker.Storage.Address.ToString(),
            [CredentialSealer.ConfigurationKey] = sealingKey,
            ["Providers:dashscope:BaseUrl"] = worker.Provider.Url("api/v1").ToString(),
            ["Providers:dashscope:Options:PollInterval"] = "00:00:00.100",
            ["Providers:dashscope:Options:MaxPollInterval"] = "00:00:00.200",
            [$"Providers:{worker.ProviderId}:ApiKey"] = apiKey,
            [$"Providers:{worker.ProviderId}:Timeout"] = timeout?.ToString("c"),
            ["Providers:Fetch:AllowedHosts:0"] = worker.Provider.HostAndPort,
            ["Webhooks:PublicBaseUrl"] = webhooks ? PublicBaseUrl : null,
        };
        worker._webhooks = webhooks;
        worker.Bus = await BusObserver.StartAsync();
        if (start)
        {
            worker.StartWorker();
        }

        return worker;
    }

    public void StartWorker()
    {
        Worker = new Factory(this, _settings);
        _ = Worker.Services;
    }

    public GenerateImage Command(string prompt = "a harbour at dawn", string? perRequestKey = null, int count = 1)
    {
        var jobId = Guid.NewGuid();
        return new GenerateImage(jobId, 1, "owner-1", ProviderId, DashScopeFake.Flash, prompt, null, 1024, 1024, count, 7, "png", DateTimeOffset.UtcNow,
            new Dictionary<string, string> { ["size"] = "1024*1024" },
            perRequestKey is null ? null : Sealer.Seal(perRequestKey, jobId, ProviderId),
            EstimatedCostUsd: 0.025m * count);
    }

    public async Task<IReadOnlyList<object>> RunAsync(GenerateImage command)
    {
        await Bus.SendAsync(ProviderId, command);
        return await Bus.OutcomesOfAsync(command.JobId);
    }

    /// <summary>The stored task JSON of the attempt once the worker has scheduled it (waits for it), or fails the test.</summary>
    public async Task<string> WaitForScheduledJsonAsync(GenerateImage command)
    {
        var key = $"{command.JobId:N}:{command.Attempt}";
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await Schedule.ReadJsonAsync(ProviderId, key) is { } json)
            {
                return json;
            }

            await Task.Delay(20, patience.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.DisposeAsync();
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        var db = _redis.GetDatabase();
        var schedule = ProviderPollSchedule.ScheduleKey(ProviderId);
        await db.KeyDeleteAsync([schedule, ProviderPollSchedule.TasksKey(ProviderId), $"{schedule}:by-task", $"{schedule}:leases", $"{schedule}:wakes", ProviderStatusKeys.For(ProviderId)]);
        await _redis.DisposeAsync();
        await Storage.DisposeAsync();
        await Provider.DisposeAsync();
        await BusObserver.DeleteQueueAsync(ProviderQueues.For(ProviderId));
    }

    private sealed class Factory(AsyncProviderWorker worker, Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                if (value is not null)
                {
                    builder.UseSetting(key, value);
                }
            }

            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(worker.Logs);
                logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
            });
            builder.ConfigureTestServices(services =>
            {
                // The worker registers DashScope itself (AddDashScopeProvider); the test adds a renamed copy.
                // Its own instance: resolving the adapters from inside an adapter's factory would recurse.
                services.AddSingleton<IImageProviderAdapter>(sp =>
                {
                    var dashScope = ActivatorUtilities.CreateInstance<DashScopeAdapter>(sp);
                    if (!worker._webhooks)
                    {
                        return new RenamedAsyncProvider(worker.ProviderId, dashScope);
                    }

                    worker.WebhookProvider = new WebhookTestProvider(worker.ProviderId, dashScope);
                    return worker.WebhookProvider;
                });
                services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
            });
        }
    }

    /// <summary>DashScope under this run's provider id (its HTTP client and options stay DashScope's).</summary>
    private sealed class RenamedAsyncProvider(string providerId, IAsyncImageProviderAdapter inner) : IAsyncImageProviderAdapter
    {
        public string ProviderId => providerId;

        public bool RequiresCredential => inner.RequiresCredential;

        public Task<ProviderResult> GenerateAsync(ProviderRequest request, CancellationToken cancellationToken) => inner.GenerateAsync(request, cancellationToken);

        public Task<ProviderSubmission> SubmitAsync(ProviderRequest request, CancellationToken cancellationToken) => inner.SubmitAsync(request, cancellationToken);

        public Task<ProviderPollResult> PollAsync(ProviderPoll poll, CancellationToken cancellationToken) => inner.PollAsync(poll, cancellationToken);
    }
}
