using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters.OpenAi;
using ImageGen.Providers.Tests.Fakes;
using ImageGen.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace ImageGen.Providers.Tests.Faults;

/// <summary>How many commands wait in a queue (acknowledged or in flight ones are not counted) and how many consumers it has.</summary>
public sealed record QueueState(uint Ready, uint Consumers);

/// <summary>
/// What a fault test of the provider worker stands on: the OpenAI fake (its generations held open until released),
/// fake storage, an observer on the real broker, and worker processes started and killed on demand.
/// </summary>
/// <remarks>
/// A worker process serves the adapter its <c>Provider:Id</c> names (a test cannot rename one as it can in process),
/// so it serves the real <c>openai</c> adapter and takes commands from <c>provider-openai</c> on the providers' test
/// vhost. No other test consumes that queue. Runs of these tests on one machine (two test sessions at once) take
/// turns through a lock file; a consumer already on the queue, such as a worker left behind by an aborted run,
/// fails the test and says how to find it.
/// </remarks>
public sealed class WorkerFaultRig : IAsyncDisposable
{
    public const string ProviderId = OpenAiAdapter.Id;

    public static readonly string Queue = ProviderQueues.For(ProviderId);

    // Bounds on waiting so a broken worker fails the test instead of hanging it; not speed requirements.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TurnPatience = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly List<WorkerProcess> _workers = [];
    private readonly string _workerAssembly = WorkerProcess.LocateWorkerAssembly();
    private FileStream? _turn;
    private IConnection? _broker;

    private WorkerFaultRig()
    {
    }

    public HeldGenerations Generations { get; } = new();

    public OpenAiFake Provider { get; private set; } = null!;

    public FakeStorageServer Storage { get; private set; } = null!;

    public BusObserver Bus { get; private set; } = null!;

    public static async Task<WorkerFaultRig> StartAsync()
    {
        var rig = new WorkerFaultRig();
        try
        {
            rig._turn = await TakeTurnAsync();
            rig._broker = await new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMqFor("providers")) }.CreateConnectionAsync();
            if (await rig.QueueStateAsync() is { } leftover)
            {
                Assert.True(leftover.Consumers == 0,
                    $"{Queue} on {TestInfrastructure.RabbitMqFor("providers")} already has {leftover.Consumers} consumer(s): a worker left running by " +
                    "an aborted run? Find it with `rabbitmqctl list_consumers -p imagegen-test-providers` or `ps aux | grep ImageGen.Providers.dll`.");
                // Commands an aborted run left behind would reach this run's fake.
                await BusObserver.DeleteQueueAsync(Queue);
            }

            rig.Provider = await OpenAiFake.StartAsync(rig.Generations.Map);
            rig.Storage = await FakeStorageServer.StartAsync();
            rig.Bus = await BusObserver.StartAsync();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>A command for one image of <paramref name="width"/>×<paramref name="height"/>, its job id in the prompt so the fake's calls can be told apart.</summary>
    public static GenerateImage Command(int width, int height)
    {
        var jobId = Guid.NewGuid();
        return new GenerateImage(jobId, 1, "owner-1", ProviderId, OpenAiAdapter.DefaultModel, $"a lighthouse in a storm, job {jobId:N}", null,
            width, height, 1, 7, "png", DateTimeOffset.UtcNow, EstimatedCostUsd: 0.04m);
    }

    /// <summary>Starts a worker process and waits until it is healthy and the only consumer of its queue.</summary>
    public async Task<WorkerProcess> StartWorkerAsync()
    {
        var worker = WorkerProcess.Start(_workerAssembly, new Dictionary<string, string>
        {
            ["ConnectionStrings__messaging"] = TestInfrastructure.RabbitMqFor("providers"),
            ["ConnectionStrings__redis"] = TestInfrastructure.Redis,
            ["Provider__Id"] = ProviderId,
            ["Provider__TransientRetries"] = "1",
            ["Provider__TransientRetryDelay"] = "00:00:00.200",
            // What the AppHost sets for a reference to storage's "grpc" endpoint.
            ["services__storage__grpc__0"] = Storage.Address.ToString(),
            ["Providers__openai__BaseUrl"] = Provider.BaseUrl.ToString(),
            ["Providers__openai__ApiKey"] = OpenAiFake.Key,
            ["Providers__Fetch__AllowedHosts__0"] = Provider.Server.HostAndPort,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // Enough in the output to explain a failure: the lifetime messages (the port), the bus and the consumer.
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__MassTransit"] = "Information",
            ["Logging__LogLevel__StackExchange.Redis"] = "Warning",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        });
        _workers.Add(worker);
        await EventuallyAsync(async () =>
        {
            if (worker.HasExited)
            {
                Assert.Fail($"Worker process {worker.Id} ended before it took commands.{Environment.NewLine}{await DiagnosticsAsync()}");
            }

            return await worker.IsHealthyAsync() && await QueueStateAsync() is { Consumers: 1 };
        }, $"worker process {worker.Id} to be healthy and the one consumer of {Queue}");
        return worker;
    }

    /// <summary>The queue's state, or null while it does not exist.</summary>
    public async Task<QueueState?> QueueStateAsync()
    {
        // A channel per question: the broker closes the channel that asked about a missing queue.
        await using var channel = await _broker!.CreateChannelAsync();
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(Queue);
            return new QueueState(declared.MessageCount, declared.ConsumerCount);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>The fake's generation calls made for the job.</summary>
    public IReadOnlyList<ReceivedRequest> GenerationsFor(Guid jobId) =>
        Provider.Server.RequestsTo(HeldGenerations.Path).Where(r => r.BodyText.Contains(jobId.ToString("N"), StringComparison.Ordinal)).ToList();

    /// <summary>Waits for the job's first outcome, which must be a success.</summary>
    public async Task<ImageGenerationSucceeded> SucceededAsync(Guid jobId)
    {
        await EventuallyAsync(() => Task.FromResult(Bus.EventsOf(jobId).Any(e => e is ImageGenerationSucceeded or ImageGenerationFailed)), $"an outcome of job {jobId}");
        var outcome = Bus.EventsOf(jobId).First(e => e is ImageGenerationSucceeded or ImageGenerationFailed);
        if (outcome is ImageGenerationFailed failed)
        {
            Assert.Fail($"Job {jobId} failed with {failed.ErrorCode}: {failed.ErrorMessage}{Environment.NewLine}{await DiagnosticsAsync()}");
        }

        return (ImageGenerationSucceeded)outcome;
    }

    /// <summary>Every image of the outcome is in storage, byte for byte as reported.</summary>
    public void AssertStored(ImageGenerationSucceeded succeeded)
    {
        foreach (var image in succeeded.Images)
        {
            Assert.True(Storage.Storage.Objects.TryGetValue(image.StorageKey, out var stored), $"{image.StorageKey} of job {succeeded.JobId} is not in storage");
            Assert.Equal(image.Bytes, stored.Content.Length);
            Assert.Equal(image.Sha256, Convert.ToHexStringLower(SHA256.HashData(stored.Content)));
        }
    }

    public Task EventuallyAsync(Func<bool> condition, string awaited) => EventuallyAsync(() => Task.FromResult(condition()), awaited);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with what was awaited and the workers' output if it never does.</summary>
    public async Task EventuallyAsync(Func<Task<bool>> condition, string awaited)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > Patience)
            {
                Assert.Fail($"Gave up after {Patience.TotalSeconds:0} s waiting for {awaited}.{Environment.NewLine}{await DiagnosticsAsync()}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>The state of everything involved, and each worker's last output lines.</summary>
    public async Task<string> DiagnosticsAsync()
    {
        var text = new StringBuilder();
        var queue = _broker is null ? null : await QueueStateAsync();
        text.AppendLine(queue is null ? $"{Queue}: does not exist" : $"{Queue}: {queue.Ready} ready, {queue.Consumers} consumer(s)");
        text.AppendLine($"provider calls: {Provider?.Server.RequestsTo(HeldGenerations.Path).Count}; storage uploads: {Storage?.Storage.Puts}");
        foreach (var worker in _workers)
        {
            text.AppendLine(worker.Describe());
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // The processes first, whatever else fails: none may outlive the test.
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        Generations.Release();
        try
        {
            if (Bus is not null)
            {
                await Bus.DisposeAsync();
            }

            if (_broker is not null)
            {
                await BusObserver.DeleteQueueAsync(Queue);
                await _broker.DisposeAsync();
            }

            await ForgetStatusReportsAsync();
            if (Storage is not null)
            {
                await Storage.DisposeAsync();
            }

            if (Provider is not null)
            {
                await Provider.DisposeAsync();
            }
        }
        finally
        {
            _turn?.Dispose();
        }
    }

    /// <summary>
    /// Removes the status reports of this rig's workers from Redis. A graceful stop removes its own; a killed
    /// worker's stays, ignored by readers after a minute, but no trace of a test should outlive it.
    /// </summary>
    private async Task ForgetStatusReportsAsync()
    {
        if (_workers.Count == 0)
        {
            return;
        }

        // A worker's field is "{machine}-{process id}-{random}" (ProviderStatusReporter.Instance).
        var ours = _workers.Select(w => $"{Environment.MachineName}-{w.Id}-").ToList();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var database = redis.GetDatabase();
        var key = ProviderStatusKeys.For(ProviderId);
        var fields = (await database.HashKeysAsync(key))
            .Where(f => ours.Any(prefix => f.ToString().StartsWith(prefix, StringComparison.Ordinal)))
            .ToArray();
        if (fields.Length > 0)
        {
            await database.HashDeleteAsync(key, fields);
        }
    }

    /// <summary>
    /// An exclusive lock on a file (flock, released by the kernel if the test process dies), so that two test runs on
    /// one machine never have workers on the one queue at once.
    /// </summary>
    private static async Task<FileStream> TakeTurnAsync()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"imagegen-tests-{Queue}.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TurnPatience)
            {
                await Task.Delay(250);
            }
            catch (IOException ex)
            {
                throw new TimeoutException($"Another test run held {path} for {TurnPatience.TotalMinutes:0} minutes.", ex);
            }
        }
    }
}
