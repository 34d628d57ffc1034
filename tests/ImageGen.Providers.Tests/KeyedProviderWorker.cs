using System.Security.Cryptography;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Http;
using ImageGen.Providers.Tests.Fakes;
using ImageGen.ServiceDefaults.Security;
using ImageGen.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests;

/// <summary>
/// The real worker host serving <see cref="SyncJsonTestAdapter"/> (a provider that needs a key) against its
/// fake server, with fake storage, the real broker and Redis, every log line captured at Trace level, and a
/// sealing key shared with the test so it can seal per-request keys as the orchestrator does.
/// </summary>
public sealed class KeyedProviderWorker : IAsyncDisposable
{
    private KeyedProviderWorker(string providerId, CredentialSealer sealer)
    {
        ProviderId = providerId;
        Sealer = sealer;
    }

    public string ProviderId { get; }

    public CredentialSealer Sealer { get; }

    public FakeProviderServer Provider { get; private set; } = null!;

    public FakeStorageServer Storage { get; private set; } = null!;

    public WebApplicationFactory<Program> Worker { get; private set; } = null!;

    public BusObserver Bus { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    /// <param name="apiKey">The worker's configured key, or null for none.</param>
    /// <param name="redis">The Redis connection string; the test server unless given.</param>
    /// <param name="statusInterval">How often the worker reports its status.</param>
    public static async Task<KeyedProviderWorker> StartAsync(string? apiKey = null, string? redis = null, TimeSpan? statusInterval = null)
    {
        var sealingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var worker = new KeyedProviderWorker($"keyed-{Guid.NewGuid():N}"[..18], new CredentialSealer(sealingKey));
        worker.Provider = await FakeProviderServer.StartAsync(SyncJsonTestAdapter.Map);
        worker.Storage = await FakeStorageServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMqFor("providers"),
            ["ConnectionStrings:redis"] = redis ?? TestInfrastructure.Redis,
            ["Provider:Id"] = worker.ProviderId,
            ["Provider:TransientRetries"] = "1",
            ["Provider:TransientRetryDelay"] = "00:00:00.200",
            ["Provider:StatusReportInterval"] = (statusInterval ?? TimeSpan.FromSeconds(1)).ToString("c"),
            ["services:storage:grpc:0"] = worker.Storage.Address.ToString(),
            [CredentialSealer.ConfigurationKey] = sealingKey,
            // The base URL has a path without a trailing slash, as operators write them.
            [$"Providers:{worker.ProviderId}:BaseUrl"] = worker.Provider.Url("v1").ToString(),
            [$"Providers:{worker.ProviderId}:ApiKey"] = apiKey,
            ["Providers:Fetch:AllowedHosts:0"] = worker.Provider.HostAndPort,
        };
        worker.Worker = new Factory(worker, settings);
        _ = worker.Worker.Services;
        worker.Bus = await BusObserver.StartAsync();
        return worker;
    }

    /// <summary>A command for this worker's provider; <paramref name="perRequestKey"/> is sealed for the command's own job unless <paramref name="sealedKey"/> is given.</summary>
    public GenerateImage Command(
        string prompt = "a harbour at dawn", string? perRequestKey = null, string? sealedKey = null, int count = 1,
        decimal? estimatedCostUsd = 0.05m, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var jobId = Guid.NewGuid();
        return new GenerateImage(jobId, 1, "owner-1", ProviderId, "fake-model-1", prompt, null, 1024, 1536, count, 7, "png", DateTimeOffset.UtcNow,
            parameters ?? new Dictionary<string, string> { ["size"] = "1024x1536", ["quality"] = "high" },
            sealedKey ?? (perRequestKey is null ? null : Sealer.Seal(perRequestKey, jobId, ProviderId)),
            estimatedCostUsd);
    }

    public async Task<IReadOnlyList<object>> RunAsync(GenerateImage command)
    {
        await Bus.SendAsync(ProviderId, command);
        return await Bus.OutcomesOfAsync(command.JobId);
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.DisposeAsync();
        await Worker.DisposeAsync();
        await Storage.DisposeAsync();
        await Provider.DisposeAsync();
        await BusObserver.DeleteQueueAsync(ProviderQueues.For(ProviderId));
    }

    private sealed class Factory(KeyedProviderWorker worker, Dictionary<string, string?> settings) : WebApplicationFactory<Program>
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
                // Only the capture: the console would print every Redis reconnect attempt of the tests without Redis.
                logging.ClearProviders();
                logging.AddProvider(worker.Logs);
                // Everything, HttpClient's and MassTransit's own tracing included: a secret must appear in none of it.
                logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
            });
            builder.ConfigureTestServices(services =>
            {
                services.AddProviderHttpClient(worker.ProviderId, SyncJsonTestAdapter.DefaultBaseUrl);
                services.AddSingleton<IImageProviderAdapter>(sp => new SyncJsonTestAdapter(
                    worker.ProviderId, sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<ResultImageFetcher>()));
                services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
            });
        }
    }
}
