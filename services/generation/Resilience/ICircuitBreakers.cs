using System.Diagnostics.CodeAnalysis;
using ImageGen.Contracts;

namespace ImageGen.Generation.Resilience;

/// <summary>How a circuit is run: by its failures, or held by an operator until set back to <see cref="Auto"/>.</summary>
public enum CircuitMode
{
    Auto,
    ForcedOpen,
    ForcedClosed,
}

/// <summary>The wire names of circuit states and modes (snapshots, the admin API, the providers view).</summary>
public static class CircuitNames
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half_open";

    public const string Auto = "auto";
    public const string ForcedOpen = "forced_open";
    public const string ForcedClosed = "forced_closed";

    /// <summary>Stands for every model of a provider in <see cref="ICircuitBreakers.SetManualAsync"/>.</summary>
    public const string AllModels = "*";

    public static string Of(CircuitMode mode) => mode switch
    {
        CircuitMode.ForcedOpen => ForcedOpen,
        CircuitMode.ForcedClosed => ForcedClosed,
        _ => Auto,
    };

    public static bool TryParseMode(string? value, [NotNullWhen(true)] out CircuitMode? mode)
    {
        mode = value switch
        {
            Auto => CircuitMode.Auto,
            ForcedOpen => CircuitMode.ForcedOpen,
            ForcedClosed => CircuitMode.ForcedClosed,
            _ => null,
        };
        return mode is not null;
    }

    /// <summary>
    /// Whether a failure says the provider is unhealthy. The others (a bad request, a refused prompt, a wrong key,
    /// an empty account) are answers from a provider that works, and must not take it out of rotation.
    /// </summary>
    public static bool CountsAgainstProvider(string errorCode) => errorCode is
        ErrorCodes.ProviderUnavailable or ErrorCodes.Timeout or ErrorCodes.Internal or ErrorCodes.RateLimited;
}

/// <summary>A circuit as it stands now (an open circuit whose break is over shows as half-open).</summary>
/// <param name="State">closed | open | half_open.</param>
/// <param name="Mode">auto | forced_open | forced_closed: the override in effect, the model's own or its provider's.</param>
/// <param name="RecentFailures">Provider-health failures within the sampling window.</param>
/// <param name="RetryAt">When an attempt may next be sent: the end of the break, or of a half-open probe's hold.</param>
/// <param name="Reason">Why it is open or forced: the operator's words, or the failures that opened it.</param>
public sealed record CircuitSnapshot(
    string Provider,
    string Model,
    string State,
    string Mode,
    int RecentFailures,
    DateTimeOffset? OpenedAt,
    DateTimeOffset? RetryAt,
    string? Reason);

/// <summary>
/// Per provider-and-model circuit breakers shared by every generation replica. Closed: attempts go through, and
/// <see cref="CircuitBreakerOptions.FailureThreshold"/> provider-health failures within the sampling window open it.
/// Open: attempts are refused for <see cref="CircuitBreakerOptions.BreakDuration"/>; then it is half-open and a single
/// probe may go; the probe's success closes it, its failure opens it again. An operator's override wins until set back
/// to auto. Reads and the generation path fail open when the shared store is unreachable: a broken store must not
/// stop generation.
/// </summary>
public interface ICircuitBreakers
{
    /// <summary>One model's circuit; model <c>*</c> gives the provider-wide override.</summary>
    Task<CircuitSnapshot> GetAsync(string provider, string model, CancellationToken ct);

    /// <summary>
    /// Every model of the provider that has state (failures, a break, an override), by model id; a provider-wide
    /// override comes first as model <c>*</c>. A model not listed is closed, or under the <c>*</c> override.
    /// </summary>
    Task<IReadOnlyList<CircuitSnapshot>> ListAsync(string provider, CancellationToken ct);

    /// <summary>
    /// Whether an attempt may be sent now: closed (or forced closed), or half-open and this caller took the single
    /// probe slot. An open circuit whose break is over turns half-open here. Pair a true with a Record call.
    /// </summary>
    Task<bool> TryAcquireAsync(string provider, string model, CancellationToken ct);

    /// <summary>An attempt succeeded: a half-open circuit closes, a closed one forgets its failures.</summary>
    Task RecordSuccessAsync(string provider, string model, CancellationToken ct);

    /// <summary>
    /// An attempt failed with <paramref name="errorCode"/> (an <see cref="ErrorCodes"/> value). Only provider-health
    /// codes count (<see cref="CircuitNames.CountsAgainstProvider"/>); any other code frees a half-open probe slot
    /// so the next caller may probe, and changes nothing else.
    /// </summary>
    Task RecordFailureAsync(string provider, string model, string errorCode, CancellationToken ct);

    /// <summary>
    /// Holds a circuit open or closed until set back to <see cref="CircuitMode.Auto"/>, which restarts it closed with no
    /// failures counted. Model <c>*</c> holds every model of the provider; a forced open, at either level, wins over a
    /// forced closed. Throws <see cref="CircuitStateUnavailableException"/> when the change could not be stored.
    /// </summary>
    Task SetManualAsync(string provider, string model, CircuitMode mode, string? reason, CancellationToken ct);
}

/// <summary>The shared circuit state could not be changed (its store is unreachable); nothing was changed.</summary>
public sealed class CircuitStateUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
