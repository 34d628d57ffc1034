using ImageGen.Generation.Resilience;

namespace ImageGen.Generation.Tests.Resilience;

public class Sharing_circuits_between_replicas : CircuitSpec
{
    private const string Model = "model-a";

    [Fact]
    public async Task Failures_seen_by_different_replicas_add_up_and_the_circuit_opens_for_both()
    {
        var (first, second) = (Replica(), Replica());

        await FailAsync(first, Provider, Model, Options.FailureThreshold - 1);
        await FailAsync(second, Provider, Model, 1);

        Assert.False(await first.TryAcquireAsync(Provider, Model, default));
        Assert.False(await second.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task A_probe_taken_on_one_replica_is_refused_on_the_other_and_its_success_closes_both()
    {
        var (first, second) = (Replica(), Replica());
        await FailAsync(first, Provider, Model, Options.FailureThreshold);
        Clock.Advance(Options.BreakDuration);

        Assert.True(await first.TryAcquireAsync(Provider, Model, default));
        Assert.False(await second.TryAcquireAsync(Provider, Model, default));

        await first.RecordSuccessAsync(Provider, Model, default);
        Assert.True(await second.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task An_override_set_through_one_replica_holds_on_the_other()
    {
        var (first, second) = (Replica(), Replica());

        await first.SetManualAsync(Provider, Model, CircuitMode.ForcedOpen, "drain", default);

        Assert.False(await second.TryAcquireAsync(Provider, Model, default));
        Assert.Equal("drain", (await second.GetAsync(Provider, Model, default)).Reason);
        await second.SetManualAsync(Provider, Model, CircuitMode.Auto, null, default);
        Assert.True(await first.TryAcquireAsync(Provider, Model, default));
    }
}
