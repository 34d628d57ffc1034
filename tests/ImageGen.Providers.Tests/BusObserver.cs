using ImageGen.Contracts;
using ImageGen.Testing;
using MassTransit;
using RabbitMQ.Client;

namespace ImageGen.Providers.Tests;

/// <summary>
/// A separate bus on the test vhost, as the orchestrator would be: sends commands to a provider's
/// queue and records the events published about each job on a temporary queue.
/// </summary>
public sealed class BusObserver : IAsyncDisposable
{
    // A bound on waiting so a broken worker fails the test instead of hanging it; not a speed requirement.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly List<object> _events = [];
    private TaskCompletionSource _arrived = NewSignal();
    private IBusControl? _bus;

    public static async Task<BusObserver> StartAsync()
    {
        var observer = new BusObserver();
        observer._bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(TestInfrastructure.RabbitMqFor("providers")));
            // No name: a temporary, auto-deleted queue bound to the event exchanges.
            cfg.ReceiveEndpoint(e =>
            {
                e.Handler<ImageGenerationStarted>(c => observer.Record(c.Message));
                e.Handler<ImageGenerationSucceeded>(c => observer.Record(c.Message));
                e.Handler<ImageGenerationFailed>(c => observer.Record(c.Message));
            });
        });
        await observer._bus.StartAsync();
        return observer;
    }

    public async Task SendAsync(string providerId, GenerateImage command)
    {
        var endpoint = await _bus!.GetSendEndpoint(new Uri($"queue:{ProviderQueues.For(providerId)}"));
        await endpoint.Send(command);
    }

    public Task PublishAsync<T>(T message) where T : class => _bus!.Publish(message);

    /// <summary>Every event recorded so far about the job.</summary>
    public IReadOnlyList<object> EventsOf(Guid jobId)
    {
        lock (_gate)
        {
            return _events.Where(e => JobOf(e) == jobId).ToList();
        }
    }

    /// <summary>Waits until <paramref name="outcomes"/> outcome events of the job have arrived, then returns all its events.</summary>
    public async Task<IReadOnlyList<object>> OutcomesOfAsync(Guid jobId, int outcomes = 1)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                var events = _events.Where(e => JobOf(e) == jobId).ToList();
                if (events.Count(e => e is ImageGenerationSucceeded or ImageGenerationFailed) >= outcomes)
                {
                    return events;
                }

                arrived = _arrived.Task;
            }

            try
            {
                await arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    Assert.Fail($"Job {jobId} had {outcomes} outcome(s) expected, got: {string.Join(", ", _events.Where(e => JobOf(e) == jobId).Select(e => e.GetType().Name))}");
                }
            }
        }
    }

    /// <summary>Deletes a provider's durable queue and exchange, which would otherwise pile up in the test vhost, one per run.</summary>
    public static async Task DeleteQueueAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMqFor("providers")) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
        await channel.ExchangeDeleteAsync(queue);
    }

    public async ValueTask DisposeAsync()
    {
        if (_bus is not null)
        {
            await _bus.StopAsync();
        }
    }

    private Task Record(object message)
    {
        lock (_gate)
        {
            _events.Add(message);
            _arrived.TrySetResult();
            _arrived = NewSignal();
        }

        return Task.CompletedTask;
    }

    private static Guid JobOf(object message) => message switch
    {
        ImageGenerationStarted m => m.JobId,
        ImageGenerationSucceeded m => m.JobId,
        ImageGenerationFailed m => m.JobId,
        _ => Guid.Empty,
    };

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
