using ImageGen.Generation.Resilience;
using ImageGen.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ImageGen.Generation.Tests.Resilience;

/// <summary>
/// Circuit breakers on the real Redis, under a provider id of their own (so parallel runs never meet) and a clock
/// the test moves; every key the test made is deleted after it.
/// </summary>
public abstract class CircuitSpec : IAsyncLifetime
{
    private static readonly Lazy<ConnectionMultiplexer> SharedRedis = new(() => ConnectionMultiplexer.Connect(TestInfrastructure.Redis));

    /// <summary>Three failures within ten seconds open a circuit for thirty; a silent probe is given up after a minute.</summary>
    protected static readonly CircuitBreakerOptions Options = new()
    {
        FailureThreshold = 3,
        SamplingWindow = TimeSpan.FromSeconds(10),
        BreakDuration = TimeSpan.FromSeconds(30),
        ProbeTimeout = TimeSpan.FromSeconds(60),
    };

    protected static IConnectionMultiplexer Redis => SharedRedis.Value;

    protected string Provider { get; } = $"test-{Guid.NewGuid():N}";

    protected ManualClock Clock { get; } = new(DateTimeOffset.UtcNow);

    protected ListLogger<RedisCircuitBreakers> Log { get; } = new();

    /// <summary>One generation replica's view: every replica made here shares the Redis state and the clock.</summary>
    protected RedisCircuitBreakers Replica(IConnectionMultiplexer? redis = null) =>
        new(redis ?? Redis, new FixedOptions<CircuitBreakerOptions>(Options), Clock, Log);

    protected static async Task FailAsync(ICircuitBreakers circuits, string provider, string model, int times, string errorCode = "provider_unavailable")
    {
        for (var i = 0; i < times; i++)
        {
            await circuits.RecordFailureAsync(provider, model, errorCode, CancellationToken.None);
        }
    }

    protected Task<bool> KeyExistsAsync(string model) => Redis.GetDatabase().KeyExistsAsync(CircuitKeys.For(Provider, model));

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        var db = Redis.GetDatabase();
        var server = Redis.GetServers()[0];
        var keys = server.Keys(pattern: $"imagegen:circuit:{{{Provider}}}:*").Append(CircuitKeys.Index(Provider)).ToArray();
        await db.KeyDeleteAsync(keys);
    }
}

/// <summary>A clock that stands still until the test moves it.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

public sealed class FixedOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}

/// <summary>Keeps what was logged, so a test can see a warning was given.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    public System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
}
