using System.Net.Http.Json;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Testing;
using MassTransit;
using StackExchange.Redis;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ImageGen.Generation.Tests;

/// <summary>
/// The generation service in-process, on a fresh PostgreSQL database, the real RabbitMQ (a vhost
/// of its own) and the real Redis, with a stand-in worker on the builtin provider's queue that
/// answers the way a worker does. The prompt steers it: "fail:CODE" fails with that code,
/// "hold" never answers, anything else succeeds with one image per requested image.
/// </summary>
public sealed class GenerationServiceFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private TemporaryDatabase? _database;
    private IBusControl? _worker;
    private ConnectionMultiplexer? _redis;
    private Timer? _heartbeat;
    private readonly string WorkerInstance = $"generation-tests-{Guid.NewGuid():N}";

    public int CommandsReceived;

    public static readonly string SealingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Every cancellation a worker would hear of, by job id.</summary>
    public readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, GenerationCanceled> Cancellations = new();

    /// <summary>Every command the stand-in worker took off the queue, by job id.</summary>
    public readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, GenerateImage> Commands = new();

    /// <summary>Every command the stand-in worker received, with when.</summary>
    public readonly System.Collections.Concurrent.ConcurrentQueue<(GenerateImage Command, DateTimeOffset ReceivedAt)> Attempts = new();

    public string DatabaseConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync()
    {
        _database = await TemporaryDatabase.CreateAsync("generation");
        _worker = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(TestInfrastructure.RabbitMqFor("generation")));
            cfg.ReceiveEndpoint(ProviderQueues.For("builtin"), e => e.Handler<GenerateImage>(AnswerAsWorker));
            // A second provider (keyless, like builtin) for fallback chains.
            cfg.ReceiveEndpoint(ProviderQueues.For(SecondProvider), e => e.Handler<GenerateImage>(AnswerAsWorker));
            cfg.ReceiveEndpoint("generation-tests-cancellations", e => e.Handler<GenerationCanceled>(context =>
            {
                Cancellations[context.Message.JobId] = context.Message;
                return Task.CompletedTask;
            }));
        });
        await _worker.StartAsync();

        // The catalog lists a provider only while a worker reports in; the stand-in reports like one.
        _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        await ReportWorkerAsync();
        _heartbeat = new Timer(_ => _ = ReportWorkerAsync(), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    }

    public const string CallbackSecret = "test-callback-signing-secret";

    /// <summary>The stand-in worker also answers for this provider, so jobs can fall back from builtin to it.</summary>
    public const string SecondProvider = "comfyui";

    private Task ReportWorkerAsync() =>
        Task.WhenAll(new[] { "builtin", SecondProvider }.Select(provider => _redis!.GetDatabase().HashSetAsync(ProviderStatusKeys.For(provider), WorkerInstance,
            JsonSerializer.Serialize(new ProviderWorkerStatus(provider, WorkerInstance, true, DateTimeOffset.UtcNow), Json))));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:imagegendb", _database!.ConnectionString);
        builder.UseSetting("ConnectionStrings:messaging", TestInfrastructure.RabbitMqFor("generation"));
        builder.UseSetting("ConnectionStrings:redis", TestInfrastructure.Redis);
        builder.UseSetting("Generation:SyncTimeout", "00:00:08");
        builder.UseSetting("Generation:SweepInterval", "00:00:01");
        builder.UseSetting("Generation:Callbacks:SigningSecret", CallbackSecret);
        // The test's receiver listens on loopback.
        builder.UseSetting("Generation:Callbacks:AllowPrivateNetworks", "true");
        builder.UseSetting("Generation:Retry:BaseDelay", "00:00:00.200");
        builder.UseSetting("Generation:Retry:MaxDelay", "00:00:00.400");
        builder.UseSetting("Generation:CircuitBreaker:BreakDuration", "00:00:03");
        builder.UseSetting("Credentials:SealingKey", SealingKey);
        builder.UseSetting("Admin:ApiKey", "generation-tests-admin-key");
    }

    private async Task AnswerAsWorker(ConsumeContext<GenerateImage> context)
    {
        Interlocked.Increment(ref CommandsReceived);
        var command = context.Message;
        Commands[command.JobId] = command;
        Attempts.Enqueue((command, DateTimeOffset.UtcNow));
        if (command.Prompt.StartsWith("hold", StringComparison.Ordinal))
        {
            return;
        }

        // A command the worker cannot process at all: it faults and lands in the error queue.
        if (command.Prompt.StartsWith("poison", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("stand-in worker choked on the command");
        }

        var started = DateTimeOffset.UtcNow;
        await context.Publish(new ImageGenerationStarted(command.JobId, command.Attempt, command.Provider, command.Model, started));
        // "fail-on:<provider>:<code>[:<retry-after s>]" fails every attempt at that provider as retryable.
        if (command.Prompt.StartsWith("fail-on:", StringComparison.Ordinal))
        {
            var parts = command.Prompt["fail-on:".Length..].Split(' ')[0].Split(':');
            if (parts[0] == command.Provider)
            {
                await context.Publish(new ImageGenerationFailed(command.JobId, command.Attempt, command.Owner, command.Provider, command.Model,
                    parts[1], $"stand-in {command.Provider} failed with {parts[1]}", true, command.RequestedAt, started, DateTimeOffset.UtcNow,
                    RetryAfterSeconds: parts.Length > 2 ? int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) : null));
                return;
            }
        }

        // "flaky:<code>:<retry-after s>" fails the first attempt as retryable, "fail-first:<code>" fails it for good,
        // "always:<code>" fails every attempt as retryable; the other attempts succeed.
        foreach (var (prefix, retryable, firstOnly) in new[] { ("flaky:", true, true), ("fail-first:", false, true), ("always:", true, false) })
        {
            if (command.Prompt.StartsWith(prefix, StringComparison.Ordinal) && (!firstOnly || command.Attempt == 1))
            {
                var parts = command.Prompt[prefix.Length..].Split(' ')[0].Split(':');
                await context.Publish(new ImageGenerationFailed(command.JobId, command.Attempt, command.Owner, command.Provider, command.Model,
                    parts[0], $"stand-in worker failed with {parts[0]}", retryable, command.RequestedAt, started, DateTimeOffset.UtcNow,
                    RetryAfterSeconds: parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : null, CostUsd: 0.01m));
                return;
            }
        }

        if (command.Prompt.StartsWith("fail:", StringComparison.Ordinal))
        {
            var code = command.Prompt["fail:".Length..].Split(' ')[0];
            await context.Publish(new ImageGenerationFailed(command.JobId, command.Attempt, command.Owner, command.Provider, command.Model,
                code, $"stand-in worker failed with {code}", false, command.RequestedAt, started, DateTimeOffset.UtcNow));
            return;
        }

        var images = Enumerable.Range(0, command.Count)
            .Select(i => new GeneratedImage($"{i:x2}{new string('0', 62)}.png", command.Width, command.Height, "image/png", 1000 + i, $"{i:x2}{new string('0', 62)}"))
            .ToList();
        // "warn:" makes a result the provider qualified (fewer images than asked, say).
        IReadOnlyList<string>? warnings = command.Prompt.StartsWith("warn:", StringComparison.Ordinal) ? ["stand-in worker: 1 of 2 images was filtered"] : null;
        await context.Publish(new ImageGenerationSucceeded(command.JobId, command.Attempt, command.Owner, command.Provider, command.Model,
            images, command.RequestedAt, started, DateTimeOffset.UtcNow, Warnings: warnings));
    }

    /// <summary>Publishes on the same broker as a worker would (for redelivery and ordering tests).</summary>
    public Task PublishAsync<T>(T message) where T : class => _worker!.Publish(message);

    /// <summary>Polls the job until it is terminal; bounded, as delivery is asynchronous.</summary>
    public async Task<JsonElement> WaitForTerminalAsync(HttpClient client, string location)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var job = await client.GetFromJsonAsync<JsonElement>(location);
            var status = job.GetProperty("status").GetString();
            if (status is "succeeded" or "failed" or "canceled" || DateTime.UtcNow > deadline)
            {
                return job;
            }

            await Task.Delay(100);
        }
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync();
        }

        if (_redis is not null)
        {
            await _heartbeat!.DisposeAsync();
            await _redis.GetDatabase().HashDeleteAsync(ProviderStatusKeys.For("builtin"), WorkerInstance);
            await _redis.DisposeAsync();
        }

        await DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GenerationServiceCollection : ICollectionFixture<GenerationServiceFixture>
{
    public const string Name = "generation service";
}
