using ImageGen.Contracts;
using ImageGen.Generation.Resilience;

namespace ImageGen.Generation.Tests.Resilience;

public class Probing_an_open_circuit : CircuitSpec
{
    private const string Model = "model-a";

    private async Task<RedisCircuitBreakers> OpenAsync()
    {
        var circuits = Replica();
        await FailAsync(circuits, Provider, Model, Options.FailureThreshold);
        return circuits;
    }

    [Fact]
    public async Task An_open_circuit_refuses_until_its_break_is_over()
    {
        var circuits = await OpenAsync();

        Clock.Advance(Options.BreakDuration - TimeSpan.FromSeconds(1));

        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
        Assert.Equal(CircuitNames.Open, (await circuits.GetAsync(Provider, Model, default)).State);
    }

    [Fact]
    public async Task After_the_break_exactly_one_of_many_concurrent_callers_may_probe()
    {
        await OpenAsync();
        Clock.Advance(Options.BreakDuration);
        var replicas = new[] { Replica(), Replica() };
        Assert.Equal(CircuitNames.HalfOpen, (await replicas[0].GetAsync(Provider, Model, default)).State);

        var answers = await Task.WhenAll(Enumerable.Range(0, 40)
            .Select(i => Task.Run(() => replicas[i % 2].TryAcquireAsync(Provider, Model, default))));

        Assert.Single(answers, allowed => allowed);
        var circuit = await replicas[1].GetAsync(Provider, Model, default);
        Assert.Equal(CircuitNames.HalfOpen, circuit.State);
        Assert.Equal((Clock.GetUtcNow() + Options.ProbeTimeout).ToUnixTimeMilliseconds(), circuit.RetryAt!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_successful_probe_closes_the_circuit()
    {
        var circuits = await OpenAsync();
        Clock.Advance(Options.BreakDuration);
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));

        await circuits.RecordSuccessAsync(Provider, Model, default);

        var circuit = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal((CircuitNames.Closed, 0, (DateTimeOffset?)null), (circuit.State, circuit.RecentFailures, circuit.RetryAt));
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task A_failed_probe_opens_it_again_for_another_break()
    {
        var circuits = await OpenAsync();
        Clock.Advance(Options.BreakDuration);
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));

        await circuits.RecordFailureAsync(Provider, Model, ErrorCodes.Timeout, default);

        var circuit = await circuits.GetAsync(Provider, Model, default);
        Assert.Equal(CircuitNames.Open, circuit.State);
        Assert.Equal((Clock.GetUtcNow() + Options.BreakDuration).ToUnixTimeMilliseconds(), circuit.RetryAt!.Value.ToUnixTimeMilliseconds());
        Assert.Contains("probe", circuit.Reason);
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
        Clock.Advance(Options.BreakDuration);
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task A_probe_that_never_reports_frees_its_slot_after_the_probe_timeout()
    {
        var circuits = await OpenAsync();
        Clock.Advance(Options.BreakDuration);
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));

        Clock.Advance(Options.ProbeTimeout - TimeSpan.FromSeconds(1));
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
        Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task A_probe_refused_for_its_request_lets_the_next_caller_probe_at_once()
    {
        var circuits = await OpenAsync();
        Clock.Advance(Options.BreakDuration);
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));

        await circuits.RecordFailureAsync(Provider, Model, ErrorCodes.ContentPolicy, default);

        Assert.Equal(CircuitNames.HalfOpen, (await circuits.GetAsync(Provider, Model, default)).State);
        Assert.True(await circuits.TryAcquireAsync(Provider, Model, default));
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
    }

    [Fact]
    public async Task A_late_success_of_an_attempt_sent_before_the_break_does_not_end_it()
    {
        var circuits = await OpenAsync();

        await circuits.RecordSuccessAsync(Provider, Model, default);

        Assert.Equal(CircuitNames.Open, (await circuits.GetAsync(Provider, Model, default)).State);
        Assert.False(await circuits.TryAcquireAsync(Provider, Model, default));
    }
}
