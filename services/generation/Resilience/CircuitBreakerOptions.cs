using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Resilience;

/// <summary>When a provider's model is taken out of rotation and for how long, bound from <c>Generation:CircuitBreaker</c>.</summary>
public sealed class CircuitBreakerOptions
{
    public const string SectionName = "Generation:CircuitBreaker";

    /// <summary>Provider-health failures within <see cref="SamplingWindow"/> that open the circuit.</summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How far back failures are counted; older ones no longer add up.</summary>
    public TimeSpan SamplingWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit refuses before it lets a single probe through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the probe slot of a half-open circuit is held for a probe that has not reported. A replica that
    /// dies mid-probe would otherwise leave the circuit refusing for good; image generation can take a minute.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

public sealed class CircuitBreakerOptionsValidator : IValidateOptions<CircuitBreakerOptions>
{
    private static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, CircuitBreakerOptions options)
    {
        var s = CircuitBreakerOptions.SectionName;
        List<string> errors = [];
        if (options.FailureThreshold is < 1 or > 1000)
        {
            errors.Add($"{s}:FailureThreshold must be 1 to 1000 (got {options.FailureThreshold}).");
        }

        foreach (var (key, value) in new[]
                 {
                     ("SamplingWindow", options.SamplingWindow),
                     ("BreakDuration", options.BreakDuration),
                     ("ProbeTimeout", options.ProbeTimeout),
                 })
        {
            if (value <= TimeSpan.Zero || value > Longest)
            {
                errors.Add($"{s}:{key} must be a duration above zero and at most a day, such as 00:00:30 (got {value}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
