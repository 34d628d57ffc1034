using System.Collections.Concurrent;
using ImageGen.Contracts;
using MassTransit;

namespace ImageGen.Stats.Tests.Infrastructure;

/// <summary>
/// Sees every outcome event the service finishes consuming, so a test can know that a redelivery has
/// been handled (and so could not still be counted) before asserting it was ignored.
/// </summary>
public sealed class OutcomeDeliveries : IConsumeObserver
{
    private readonly ConcurrentDictionary<(Guid JobId, int Attempt), int> expected = new();
    private readonly ConcurrentDictionary<(Guid JobId, int Attempt), int> consumed = new();
    private readonly ConcurrentQueue<string> faults = new();

    public void Expect(object message)
    {
        if (KeyOf(message) is { } key)
        {
            expected.AddOrUpdate(key, 1, (_, n) => n + 1);
        }
    }

    /// <summary>Waits until every event published through the fixture so far has been consumed.</summary>
    public async Task WaitUntilAllConsumedAsync()
    {
        var deadline = DateTimeOffset.UtcNow + StatsServiceFixture.DeliveryTimeout;
        while (!AllConsumed() && faults.IsEmpty && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(faults.IsEmpty, "Consuming failed: " + string.Join("; ", faults));
        Assert.True(AllConsumed(), $"Not every published event was consumed within {StatsServiceFixture.DeliveryTimeout.TotalSeconds} s.");
    }

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (KeyOf(context.Message) is { } key)
        {
            consumed.AddOrUpdate(key, 1, (_, n) => n + 1);
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
    {
        if (KeyOf(context.Message) is { } key && expected.ContainsKey(key))
        {
            faults.Enqueue($"{typeof(T).Name} {key}: {exception.Message}");
        }

        return Task.CompletedTask;
    }

    private bool AllConsumed() => expected.All(e => consumed.GetValueOrDefault(e.Key) >= e.Value);

    private static (Guid, int)? KeyOf(object message) => message switch
    {
        ImageGenerationSucceeded s => (s.JobId, s.Attempt),
        ImageGenerationFailed f => (f.JobId, f.Attempt),
        _ => null,
    };
}
