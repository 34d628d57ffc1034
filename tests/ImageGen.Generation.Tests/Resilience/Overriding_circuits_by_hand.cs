using ImageGen.Generation.Resilience;

namespace ImageGen.Generation.Tests.Resilience;

public class Overriding_circuits_by_hand : CircuitSpec
{
    private const string Model = "model-a";

    [Fact]
    public async Task Forced_open_refuses_every_attempt_until_set_back_to_auto()
    {
        var circuits = Replica();

        await circuits.SetManualAsync(Provider, Model, CircuitMode.ForcedOpen, "provider incident #42", default);
        Clock.Advance(TimeSpan.FromHours(3));

        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
        var circuit = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Open, CircuitNames.ForcedOpen, "provider incident #42", (DateTimeOffset?)null),
            (circuit.State, circuit.Mode, circuit.Reason, circuit.RetryAt));
        Assert.NotNull(circuit.OpenedAt);

        await circuits.SetManualAsync(Provider, Model, CircuitMode.Auto, null, default);

        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        var released = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Closed, CircuitNames.Auto, (string?)null), (released.State, released.Mode, released.Reason));
    }

    [Fact]
    public async Task Forced_closed_lets_attempts_through_however_many_fail()
    {
        var circuits = Replica();
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold);
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));

        await circuits.SetManualAsync(Provider, Model, CircuitMode.ForcedClosed, null, default);
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold * 2);

        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        var circuit = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Closed, CircuitNames.ForcedClosed, 0), (circuit.State, circuit.Mode, circuit.RecentFailures));
    }

    [Fact]
    public async Task Setting_auto_restarts_the_automatic_breaker_closed_with_nothing_counted()
    {
        var circuits = Replica();
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold);

        await circuits.SetManualAsync(Provider, Model, CircuitMode.Auto, null, default);

        var circuit = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Closed, CircuitNames.Auto, 0), (circuit.State, circuit.Mode, circuit.RecentFailures));
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold - 1);
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        await FailAsync(circuits, Provider, Model, 1);
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task A_star_override_holds_every_model_of_the_provider_and_lets_go_of_them_together()
    {
        var circuits = Replica();
        await FailAsync(circuits, Provider, "model-b", Options.FailureThreshold);

        await circuits.SetManualAsync(Provider, CircuitNames.AllModels, CircuitMode.ForcedOpen, "maintenance", default);

        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
        Assert.False(await circuits.TryAcquireAsync(Provider, "a-model-never-seen", default));
        var unseen = await circuits.GetAsync(Provider, "a-model-never-seen", default);
        Assert.Equal((CircuitNames.Open, CircuitNames.ForcedOpen, "maintenance"), (unseen.State, unseen.Mode, unseen.Reason));
        var listed = await circuits.ListAsync(Provider, default);
        Assert.Equal([CircuitNames.AllModels, "model-b"], listed.Select(c => c.Model));
        Assert.All(listed, c => Assert.Equal(CircuitNames.ForcedOpen, c.Mode));

        await circuits.SetManualAsync(Provider, CircuitNames.AllModels, CircuitMode.Auto, null, default);

        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        // A model's own state outlives the provider-wide override.
        Assert.False(await circuits.TryAcquireAsync(Provider, "model-b", default));
        Assert.Equal(["model-b"], (await circuits.ListAsync(Provider, default)).Select(c => c.Model));
    }

    [Fact]
    public async Task A_star_forced_closed_lets_open_models_through()
    {
        var circuits = Replica();
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold);

        await circuits.SetManualAsync(Provider, CircuitNames.AllModels, CircuitMode.ForcedClosed, null, default);

        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        Assert.Equal(CircuitNames.ForcedClosed, (await circuits.GetAsync(Provider, Model, default)).Mode);
    }

    [Fact]
    public async Task A_forced_open_wins_over_a_forced_closed_at_the_other_level()
    {
        var circuits = Replica();

        await circuits.SetManualAsync(Provider, Model, CircuitMode.ForcedClosed, null, default);
        await circuits.SetManualAsync(Provider, CircuitNames.AllModels, CircuitMode.ForcedOpen, "stop everything", default);
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));

        await circuits.SetManualAsync(Provider, CircuitNames.AllModels, CircuitMode.ForcedClosed, null, default);
        await circuits.SetManualAsync(Provider, "model-b", CircuitMode.ForcedOpen, null, default);
        Assert.False(await circuits.TryAcquireAsync(Provider, "model-b", default));
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task Setting_a_star_back_to_auto_removes_its_key()
    {
        var circuits = Replica();
        await circuits.SetManualAsync(Provider, CircuitNames.AllModels, CircuitMode.ForcedOpen, null, default);
        Assert.True(await KeyExistsAsync(CircuitNames.AllModels));

        await circuits.SetManualAsync(Provider, CircuitNames.AllModels, CircuitMode.Auto, null, default);

        Assert.False(await KeyExistsAsync(CircuitNames.AllModels));
        Assert.Empty(await circuits.ListAsync(Provider, default));
    }
}
