using ImageGen.Generation.Resilience;

namespace ImageGen.Generation.Tests.Resilience;

public class Configuring_circuit_breakers
{
    private readonly CircuitBreakerOptionsValidator _validator = new();

    [Fact]
    public void The_defaults_are_valid()
    {
        var defaults = new CircuitBreakerOptions();

        Assert.True(_validator.Validate(null, defaults).Succeeded);
        Assert.Equal((5, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30)), (defaults.FailureThreshold, defaults.SamplingWindow, defaults.BreakDuration));
    }

    [Fact]
    public void Each_bad_setting_is_named()
    {
        var result = _validator.Validate(null, new CircuitBreakerOptions
        {
            FailureThreshold = 0,
            SamplingWindow = TimeSpan.Zero,
            BreakDuration = TimeSpan.FromDays(2),
            ProbeTimeout = TimeSpan.FromSeconds(-1),
        });

        Assert.True(result.Failed);
        foreach (var key in new[] { "FailureThreshold", "SamplingWindow", "BreakDuration", "ProbeTimeout" })
        {
            Assert.Contains($"Generation:CircuitBreaker:{key}", result.FailureMessage);
        }
    }
}
