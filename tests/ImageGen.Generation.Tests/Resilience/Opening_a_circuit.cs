using ImageGen.Contracts;
using ImageGen.Generation.Resilience;

namespace ImageGen.Generation.Tests.Resilience;

public class Opening_a_circuit : CircuitSpec
{
    private const string Model = "model-a";

    [Fact]
    public async Task It_opens_when_the_threshold_of_provider_failures_falls_within_the_window()
    {
        var circuits = Replica();

        await FailAsync(circuits, Provider, Model, 2);
        var before = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Closed, 2), (before.State, before.RecentFailures));
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));

        await circuits.RecordFailureAsync(Provider, Model, ErrorCodes.ProviderUnavailable, default);

        var after = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Open, CircuitNames.Auto, 3), (after.State, after.Mode, after.RecentFailures));
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), after.OpenedAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal((Clock.GetUtcNow() + Options.BreakDuration).ToUnixTimeMilliseconds(), after.RetryAt!.Value.ToUnixTimeMilliseconds());
        Assert.Contains(ErrorCodes.ProviderUnavailable, after.Reason);
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Theory]
    [InlineData(ErrorCodes.ProviderUnavailable)]
    [InlineData(ErrorCodes.Timeout)]
    [InlineData(ErrorCodes.Internal)]
    [InlineData(ErrorCodes.RateLimited)]
    public async Task Every_provider_health_failure_counts(string errorCode)
    {
        var circuits = Replica();

        await FailAsync(circuits, Provider, Model, Options.FailureThreshold, errorCode);

        Assert.Equal(CircuitNames.Open, (await circuits.GetAsync(Provider, Model, default)).State);
    }

    [Theory]
    [InlineData(ErrorCodes.InvalidRequest)]
    [InlineData(ErrorCodes.ContentPolicy)]
    [InlineData(ErrorCodes.Authentication)]
    [InlineData(ErrorCodes.InsufficientCredit)]
    public async Task Failures_of_the_request_or_the_account_never_open_it(string errorCode)
    {
        var circuits = Replica();

        await FailAsync(circuits, Provider, Model, Options.FailureThreshold * 3, errorCode);

        var circuit = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Closed, 0), (circuit.State, circuit.RecentFailures));
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task Failures_further_apart_than_the_window_do_not_add_up()
    {
        var circuits = Replica();

        await FailAsync(circuits, Provider, Model, 1);
        Clock.Advance(TimeSpan.FromSeconds(6));
        await FailAsync(circuits, Provider, Model, 1);
        Clock.Advance(TimeSpan.FromSeconds(6));
        await FailAsync(circuits, Provider, Model, 1);

        var circuit = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Closed, 2), (circuit.State, circuit.RecentFailures));

        await FailAsync(circuits, Provider, Model, 1);
        Assert.Equal(CircuitNames.Open, (await circuits.GetAsync(Provider, Model, default)).State);
    }

    [Fact]
    public async Task A_success_forgets_the_failures_and_leaves_nothing_behind()
    {
        var circuits = Replica();
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold - 1);
        Assert.True(await KeyExistsAsync(Model));

        await circuits.RecordSuccessAsync(Provider, Model, default);
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold - 1);

        Assert.Equal(CircuitNames.Closed, (await circuits.GetAsync(Provider, Model, default)).State);
        await circuits.RecordSuccessAsync(Provider, Model, default);
        Assert.False(await KeyExistsAsync(Model));
        Assert.Empty(await circuits.ListAsync(Provider, default));
    }

    [Fact]
    public async Task Each_model_of_a_provider_has_its_own_circuit()
    {
        var circuits = Replica();

        await FailAsync(circuits, Provider, Model, Options.FailureThreshold);

        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
        Assert.True(await circuits.TryAcquireAsync(Provider, "model-b", default));
        var listed = await circuits.ListAsync(Provider, default);
        Assert.Equal([Model], listed.Select(c => c.Model));
    }

    [Fact]
    public async Task Model_ids_differing_only_in_case_share_one_circuit()
    {
        var circuits = Replica();

        await FailAsync(circuits, Provider, "Org/FLUX.1-Schnell", Options.FailureThreshold);

        Assert.False(await circuits.TryAcquireAsync(Provider, "org/flux.1-schnell", default));
    }
}
