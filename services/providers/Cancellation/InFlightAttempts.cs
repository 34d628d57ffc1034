using System.Collections.Concurrent;

namespace ImageGen.Providers.Cancellation;

/// <summary>
/// The attempts this worker process is carrying out right now, so a caller's cancel can stop the one
/// it names: its provider call and storage upload are given a token that the cancel trips.
/// </summary>
public sealed class InFlightAttempts
{
    private readonly ConcurrentDictionary<(Guid JobId, int Attempt), CancellationTokenSource> _running = new();

    /// <summary>Registers an attempt; dispose the result when the attempt ends, however it ends.</summary>
    public Registration Begin(Guid jobId, int attempt, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _running[(jobId, attempt)] = source;
        return new Registration(this, (jobId, attempt), source);
    }

    /// <summary>Trips the attempt's token if this process is running it. Returns whether it was.</summary>
    public bool Cancel(Guid jobId, int attempt)
    {
        if (!_running.TryGetValue((jobId, attempt), out var source))
        {
            return false;
        }

        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended while the cancel arrived: nothing left to stop.
        }

        return true;
    }

    public sealed class Registration(InFlightAttempts owner, (Guid JobId, int Attempt) key, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        /// <summary>True when the caller canceled the job (not when the worker is stopping).</summary>
        public bool CanceledByCaller(CancellationToken stopping) => source.IsCancellationRequested && !stopping.IsCancellationRequested;

        public void Dispose()
        {
            owner._running.TryRemove(new KeyValuePair<(Guid, int), CancellationTokenSource>(key, source));
            source.Dispose();
        }
    }
}
