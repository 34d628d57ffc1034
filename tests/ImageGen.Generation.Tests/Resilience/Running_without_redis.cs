using ImageGen.Contracts;
using ImageGen.Generation.Resilience;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ImageGen.Generation.Tests.Resilience;

public class Running_without_redis : CircuitSpec
{
    // Nothing listens on port 1: a real client whose server is gone.
    private static async Task<ConnectionMultiplexer> UnreachableRedisAsync() =>
        await ConnectionMultiplexer.ConnectAsync("127.0.0.1:1,abortConnect=false,connectTimeout=200,connectRetry=0");

    [Fact]
    public async Task Every_attempt_goes_through_and_a_warning_is_logged()
    {
        await using var redis = await UnreachableRedisAsync();
        var circuits = Replica(redis);

        await FailAsync(circuits, Provider, "model-a", Options.FailureThreshold * 2, ErrorCodes.ProviderUnavailable);
        await circuits.RecordSuccessAsync(Provider, "model-a", default);

        Assert.True(await circuits.TryAcquireAsync(Provider, "model-a", default));
        var circuit = await circuits.GetAsync(Provider, "model-a", default);
        Assert.Equal((CircuitNames.Closed, CircuitNames.Auto), (circuit.State, circuit.Mode));
        Assert.Empty(await circuits.ListAsync(Provider, default));
        Assert.Contains(Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("treated as closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_warning_is_not_repeated_for_every_attempt()
    {
        await using var redis = await UnreachableRedisAsync();
        var circuits = Replica(redis);

        for (var i = 0; i < 20; i++)
        {
            await circuits.TryAcquireAsync(Provider, "model-a", default);
        }

        Assert.Single(Log.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task An_override_that_cannot_be_stored_fails_loudly()
    {
        await using var redis = await UnreachableRedisAsync();
        var circuits = Replica(redis);

        await Assert.ThrowsAsync<CircuitStateUnavailableException>(() =>
            circuits.SetManualAsync(Provider, "model-a", CircuitMode.ForcedOpen, null, default));
    }
}
