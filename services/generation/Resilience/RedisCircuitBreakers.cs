using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static ImageGen.Generation.Resilience.CircuitNames;

namespace ImageGen.Generation.Resilience;

/// <summary>Where circuit state lives in Redis.</summary>
public static class CircuitKeys
{
    // The provider id is a hash tag ({...}): all keys of one provider land in one cluster slot, so a single
    // script may read the provider-wide override together with a model's state.
    public static string For(string provider, string model) => $"imagegen:circuit:{{{Normalize(provider)}}}:{Normalize(model)}";

    public static string ProviderWide(string provider) => For(provider, AllModels);

    /// <summary>The models of a provider that have state, so listing never scans the keyspace.</summary>
    public static string Index(string provider) => $"imagegen:circuits:{{{Normalize(provider)}}}";

    /// <summary>Ids are matched case-insensitively everywhere else, so one model never gets two circuits.</summary>
    public static string Normalize(string id) => id.Trim().ToLowerInvariant();
}

/// <summary>
/// Circuit breakers in Redis, so every generation replica sees and changes the same state. Each transition is one
/// Lua script, so two replicas can never both take a probe slot or lose each other's failures. A model's hash holds
/// state, recent failure times, opened_at, retry_at, probe_until and reason; it disappears once the circuit is
/// healthy again, so Redis only holds circuits that have something to say. Times are Unix milliseconds from the
/// injected clock.
/// </summary>
public sealed class RedisCircuitBreakers(
    IConnectionMultiplexer redis,
    IOptionsMonitor<CircuitBreakerOptions> options,
    TimeProvider clock,
    ILogger<RedisCircuitBreakers> logger) : ICircuitBreakers
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<string, string> NoState = [];

    private long _lastWarningAt;
    private int _suppressedWarnings;

    public async Task<CircuitSnapshot> GetAsync(string provider, string model, CancellationToken ct)
    {
        CheckIds(provider, model, allowAllModels: true);
        var result = await TryRunAsync(db => db.ScriptEvaluateAsync(Scripts.Get,
            [CircuitKeys.For(provider, model), CircuitKeys.ProviderWide(provider)]), "read", provider, model, ct);
        var now = clock.GetUtcNow();
        if (result is null)
        {
            return Snapshot(provider, model, NoState, NoState, now);
        }

        var parts = (RedisResult[])result!;
        return IsAllModels(model)
            ? Snapshot(provider, AllModels, ToFields(parts[1]), NoState, now)
            : Snapshot(provider, model, ToFields(parts[0]), ToFields(parts[1]), now);
    }

    public async Task<IReadOnlyList<CircuitSnapshot>> ListAsync(string provider, CancellationToken ct)
    {
        CheckIds(provider, AllModels, allowAllModels: true);
        var index = CircuitKeys.Index(provider);
        var result = await TryRunAsync(async db =>
        {
            var models = await db.SetMembersAsync(index);
            RedisKey[] keys = [index, CircuitKeys.ProviderWide(provider), .. models.Select(m => (RedisKey)CircuitKeys.For(provider, m.ToString()))];
            return await db.ScriptEvaluateAsync(Scripts.List, keys, models);
        }, "list", provider, AllModels, ct);
        if (result is null)
        {
            return [];
        }

        var now = clock.GetUtcNow();
        var parts = (RedisResult[])result!;
        var wide = ToFields(parts[0]);
        List<CircuitSnapshot> circuits = [];
        if (wide.Count > 0)
        {
            circuits.Add(Snapshot(provider, AllModels, wide, NoState, now));
        }

        var models = new List<CircuitSnapshot>();
        for (var i = 1; i + 1 < parts.Length; i += 2)
        {
            models.Add(Snapshot(provider, parts[i].ToString()!, ToFields(parts[i + 1]), wide, now));
        }

        circuits.AddRange(models.OrderBy(c => c.Model, StringComparer.Ordinal));
        return circuits;
    }

    public async Task<bool> TryAcquireAsync(string provider, string model, CancellationToken ct)
    {
        CheckIds(provider, model, allowAllModels: false);
        var now = clock.GetUtcNow();
        var result = await TryRunAsync(db => db.ScriptEvaluateAsync(Scripts.TryAcquire,
            [CircuitKeys.For(provider, model), CircuitKeys.ProviderWide(provider)],
            [Ms(now), Ms(now + options.CurrentValue.ProbeTimeout)]), "acquire", provider, model, ct);
        if (result is null)
        {
            return true;
        }

        var outcome = (int)result;
        if (outcome == 2)
        {
            logger.LogInformation("Circuit {Provider}/{Model} is half-open: its break is over and one probe is sent", provider, model);
        }

        return outcome > 0;
    }

    public async Task RecordSuccessAsync(string provider, string model, CancellationToken ct)
    {
        CheckIds(provider, model, allowAllModels: false);
        var result = await TryRunAsync(db => db.ScriptEvaluateAsync(Scripts.RecordSuccess,
            [CircuitKeys.For(provider, model), CircuitKeys.ProviderWide(provider), CircuitKeys.Index(provider)],
            [CircuitKeys.Normalize(model)]), "record a success", provider, model, ct);
        if (result is not null && (int)result == 2)
        {
            logger.LogInformation("Circuit {Provider}/{Model} closed: a half-open attempt succeeded", provider, model);
        }
    }

    public async Task RecordFailureAsync(string provider, string model, string errorCode, CancellationToken ct)
    {
        CheckIds(provider, model, allowAllModels: false);
        ArgumentException.ThrowIfNullOrWhiteSpace(errorCode);
        var o = options.CurrentValue;
        var now = clock.GetUtcNow();
        var result = await TryRunAsync(db => db.ScriptEvaluateAsync(Scripts.RecordFailure,
            [CircuitKeys.For(provider, model), CircuitKeys.ProviderWide(provider), CircuitKeys.Index(provider)],
            [
                CircuitKeys.Normalize(model),
                CountsAgainstProvider(errorCode) ? 1 : 0,
                Ms(now),
                Ms(now - o.SamplingWindow),
                o.FailureThreshold,
                Ms(now + o.BreakDuration),
                (long)Math.Ceiling(o.SamplingWindow.TotalMilliseconds),
                $"{o.FailureThreshold} provider failures within {Seconds(o.SamplingWindow)}, the last {errorCode}",
                $"the half-open probe failed with {errorCode}",
            ]), "record a failure", provider, model, ct);
        if (result is not null && (int)result == 1)
        {
            logger.LogWarning("Circuit {Provider}/{Model} opened after {ErrorCode}: attempts are refused for {Break}",
                provider, model, errorCode, Seconds(o.BreakDuration));
        }
    }

    public async Task SetManualAsync(string provider, string model, CircuitMode mode, string? reason, CancellationToken ct)
    {
        CheckIds(provider, model, allowAllModels: true);
        var key = IsAllModels(model) ? CircuitKeys.ProviderWide(provider) : CircuitKeys.For(provider, model);
        if (!redis.IsConnected)
        {
            throw new CircuitStateUnavailableException("Redis, which holds the circuit state of every replica, is not connected.");
        }

        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(Scripts.SetManual,
                [key, CircuitKeys.Index(provider)],
                [IsAllModels(model) ? AllModels : CircuitKeys.Normalize(model), Of(mode), reason?.Trim() ?? "", Ms(clock.GetUtcNow())]).WaitAsync(ct);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new CircuitStateUnavailableException($"Redis, which holds the circuit state of every replica, failed: {ex.Message}", ex);
        }

        logger.LogInformation("Circuit {Provider}/{Model} set to {Mode} by an operator: {Reason}", provider, model, Of(mode), reason ?? "(no reason given)");
    }

    private CircuitSnapshot Snapshot(string provider, string model, Dictionary<string, string> own, Dictionary<string, string> wide, DateTimeOffset now)
    {
        var o = options.CurrentValue;
        var failures = RecentFailures(own.GetValueOrDefault("failures"), Ms(now - o.SamplingWindow));

        // A forced open at either level wins, so a provider-wide stop cannot be undone by one model's override.
        foreach (var (forced, state) in new[] { (ForcedOpen, Open), (ForcedClosed, Closed) })
        {
            var source = own.GetValueOrDefault("mode") == forced ? own : wide.GetValueOrDefault("mode") == forced ? wide : null;
            if (source is not null)
            {
                return new CircuitSnapshot(provider, model, state, forced, failures,
                    state == Open ? Time(source, "set_at") : null, null, source.GetValueOrDefault("reason"));
            }
        }

        var openedAt = Time(own, "opened_at");
        var reason = own.GetValueOrDefault("reason");
        return own.GetValueOrDefault("state") switch
        {
            Open when Time(own, "retry_at") is { } retryAt && now < retryAt =>
                new CircuitSnapshot(provider, model, Open, Auto, failures, openedAt, retryAt, reason),
            Open or HalfOpen =>
                new CircuitSnapshot(provider, model, HalfOpen, Auto, failures, openedAt,
                    Time(own, "probe_until") is { } probeUntil && now < probeUntil ? probeUntil : null, reason),
            _ => new CircuitSnapshot(provider, model, Closed, Auto, failures, null, null, null),
        };
    }

    /// <summary>Runs a command; null when Redis cannot answer, and the caller then treats the circuit as closed.</summary>
    private async Task<RedisResult?> TryRunAsync(Func<IDatabase, Task<RedisResult>> command, string operation, string provider, string model, CancellationToken ct)
    {
        // A disconnected multiplexer would hold the command until its timeout: answer at once instead.
        if (!redis.IsConnected)
        {
            WarnFailingOpen(null, operation, provider, model);
            return null;
        }

        try
        {
            return await command(redis.GetDatabase()).WaitAsync(ct);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            WarnFailingOpen(ex, operation, provider, model);
            return null;
        }
    }

    // While Redis is down every attempt comes here; one warning per interval says it without flooding the log.
    private void WarnFailingOpen(Exception? ex, string operation, string provider, string model)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarningAt);
        if ((last != 0 && now - last < WarningInterval.TotalMilliseconds) || Interlocked.CompareExchange(ref _lastWarningAt, now, last) != last)
        {
            Interlocked.Increment(ref _suppressedWarnings);
            return;
        }

        logger.LogWarning(ex,
            "Circuit state in Redis is unreachable (could not {Operation} for {Provider}/{Model}); circuits are treated as closed so generation goes on ({Suppressed} similar warnings suppressed)",
            operation, provider, model, Interlocked.Exchange(ref _suppressedWarnings, 0));
    }

    private static void CheckIds(string provider, string model, bool allowAllModels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (!allowAllModels && IsAllModels(model))
        {
            throw new ArgumentException($"'{AllModels}' stands for every model only in overrides; attempts are made on one model.", nameof(model));
        }
    }

    private static bool IsAllModels(string model) => model.Trim() == AllModels;

    private static int RecentFailures(string? failures, long since) =>
        failures?.Split(',').Count(t => long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var at) && at > since) ?? 0;

    private static Dictionary<string, string> ToFields(RedisResult hash)
    {
        var items = (RedisResult[])hash!;
        var fields = new Dictionary<string, string>(items.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            fields[items[i].ToString()!] = items[i + 1].ToString()!;
        }

        return fields;
    }

    private static DateTimeOffset? Time(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###} s");

    /// <summary>
    /// The transitions. A model's hash: state (closed|open|half_open), failures (comma-separated times, at most the
    /// threshold), opened_at, retry_at, probe_until, reason; or mode (forced_open|forced_closed), reason, set_at when an
    /// operator holds it. The provider-wide hash (model *) holds only an override. Overrides are checked first
    /// everywhere: while one holds, failures and successes change nothing.
    /// </summary>
    private static class Scripts
    {
        // KEYS: model, provider-wide.
        public const string Get = """
            return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]) }
            """;

        // KEYS: index, provider-wide, model keys...; ARGV: the model ids of those keys. Drops index entries whose
        // hash has expired (a closed circuit's failures age out with a TTL).
        public const string List = """
            local out = { redis.call('HGETALL', KEYS[2]) }
            for i = 3, #KEYS do
              local fields = redis.call('HGETALL', KEYS[i])
              if #fields == 0 then
                redis.call('SREM', KEYS[1], ARGV[i - 2])
              else
                out[#out + 1] = ARGV[i - 2]
                out[#out + 1] = fields
              end
            end
            return out
            """;

        // KEYS: model, provider-wide; ARGV: now, probe hold end.
        // Returns 0 refused, 1 allowed, 2 allowed as the probe of a circuit that just turned half-open.
        public const string TryAcquire = """
            local wide = redis.call('HGET', KEYS[2], 'mode')
            local own = redis.call('HGET', KEYS[1], 'mode')
            if wide == 'forced_open' or own == 'forced_open' then return 0 end
            if wide == 'forced_closed' or own == 'forced_closed' then return 1 end
            local state = redis.call('HGET', KEYS[1], 'state')
            local now = tonumber(ARGV[1])
            if state == 'open' then
              if now < tonumber(redis.call('HGET', KEYS[1], 'retry_at') or 0) then return 0 end
              redis.call('HSET', KEYS[1], 'state', 'half_open', 'probe_until', ARGV[2])
              return 2
            elseif state == 'half_open' then
              if now < tonumber(redis.call('HGET', KEYS[1], 'probe_until') or 0) then return 0 end
              redis.call('HSET', KEYS[1], 'probe_until', ARGV[2])
              return 1
            end
            return 1
            """;

        // KEYS: model, provider-wide, index; ARGV: model id.
        // Returns 0 nothing changed, 1 failures forgotten, 2 half-open circuit closed. A success reported while open
        // is from an attempt sent before the break began: the break stands.
        public const string RecordSuccess = """
            local wide = redis.call('HGET', KEYS[2], 'mode')
            if wide == 'forced_open' or wide == 'forced_closed' then return 0 end
            local fields = redis.call('HMGET', KEYS[1], 'mode', 'state')
            if fields[1] or not fields[2] or fields[2] == 'open' then return 0 end
            redis.call('DEL', KEYS[1])
            redis.call('SREM', KEYS[3], ARGV[1])
            if fields[2] == 'half_open' then return 2 end
            return 1
            """;

        // KEYS: model, provider-wide, index; ARGV: model id, counts (1|0), now, window start, threshold, break end,
        // window ms, reason when the threshold is reached, reason when a probe fails.
        // Returns 1 when the circuit opened, else 0.
        public const string RecordFailure = """
            local wide = redis.call('HGET', KEYS[2], 'mode')
            if wide == 'forced_open' or wide == 'forced_closed' then return 0 end
            local fields = redis.call('HMGET', KEYS[1], 'mode', 'state', 'failures')
            if fields[1] then return 0 end
            local state = fields[2] or 'closed'
            if ARGV[2] == '0' then
              if state == 'half_open' then redis.call('HDEL', KEYS[1], 'probe_until') end
              return 0
            end
            if state == 'open' then return 0 end
            local kept = {}
            if fields[3] then
              for at in string.gmatch(fields[3], '[^,]+') do
                if tonumber(at) > tonumber(ARGV[4]) then kept[#kept + 1] = at end
              end
            end
            kept[#kept + 1] = ARGV[3]
            local threshold = tonumber(ARGV[5])
            while #kept > threshold do table.remove(kept, 1) end
            redis.call('SADD', KEYS[3], ARGV[1])
            if state == 'half_open' or #kept >= threshold then
              local reason = ARGV[8]
              if state == 'half_open' then reason = ARGV[9] end
              redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', ARGV[3], 'retry_at', ARGV[6],
                'failures', table.concat(kept, ','), 'reason', reason)
              redis.call('HDEL', KEYS[1], 'probe_until')
              redis.call('PERSIST', KEYS[1])
              return 1
            end
            redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', table.concat(kept, ','))
            redis.call('PEXPIRE', KEYS[1], ARGV[7])
            return 0
            """;

        // KEYS: model or provider-wide, index; ARGV: model id or *, mode, reason, now.
        // Auto drops everything, so the automatic breaker restarts closed with no failures counted.
        public const string SetManual = """
            redis.call('DEL', KEYS[1])
            if ARGV[2] == 'auto' then
              if ARGV[1] ~= '*' then redis.call('SREM', KEYS[2], ARGV[1]) end
              return 0
            end
            redis.call('HSET', KEYS[1], 'mode', ARGV[2], 'set_at', ARGV[4])
            if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[3]) end
            if ARGV[1] ~= '*' then redis.call('SADD', KEYS[2], ARGV[1]) end
            return 1
            """;
    }
}
