using System.Text.Json;
using ImageGen.Providers.Adapters;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ImageGen.Providers.Polling;

/// <summary>
/// The durable schedule of provider tasks to poll, in Redis: per provider a sorted set
/// <c>imagegen:polls:{provider}</c> of task keys scored by when they are due (unix ms), a hash
/// <c>imagegen:polls:{provider}:tasks</c> of their JSON (<see cref="PendingProviderTask"/>), an index from the
/// provider's task id to the key (<c>:by-task</c>, for webhooks, which name only the provider's task), the
/// leases of tasks being polled (<c>:leases</c>) and wake-ups that came during a poll (<c>:wakes</c>).
/// </summary>
/// <remarks>
/// Claiming moves a due task's score to now + lease in the same script that reads it, so two workers never
/// poll one task at once, and a worker that dies mid-poll only delays it by the lease. Every change after
/// that applies only while the task is still scheduled, so a task completed elsewhere is not revived.
/// A webhook wakes its task (due now); if the task is being polled at that moment, the wake-up is kept and
/// the task comes due again as soon as that poll ends, rather than being polled twice at once.
/// Redis should persist (AOF) for the schedule to outlive a Redis restart.
/// </remarks>
public sealed class ProviderPollSchedule(IConnectionMultiplexer redis, IConfiguration configuration, IOptionsMonitor<ProviderSettings> settings)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // KEYS: schedule, tasks, index, leases, wakes. ARGV: member, json, due, task id.
    private const string AddScript = """
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[4], ARGV[1])
        redis.call('HDEL', KEYS[4], ARGV[1])
        redis.call('HDEL', KEYS[5], ARGV[1])
        redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
        return 1
        """;

    // KEYS: schedule, tasks, index, leases, wakes. ARGV: now, lease end, most to claim. Returns key, json, key, json, …
    private const string ClaimScript = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
        local claimed = {}
        for _, member in ipairs(due) do
          local json = redis.call('HGET', KEYS[2], member)
          if json then
            redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member)
            redis.call('HSET', KEYS[4], member, ARGV[2])
            redis.call('HDEL', KEYS[5], member)
            table.insert(claimed, member)
            table.insert(claimed, json)
          else
            redis.call('ZREM', KEYS[1], member)
          end
        end
        return claimed
        """;

    // KEYS: schedule, tasks, index, leases, wakes. ARGV: member, json, due, now. Only a task still scheduled is updated;
    // one woken during its poll is due at once.
    private const string RescheduleScript = """
        if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
          local due = ARGV[3]
          if redis.call('HDEL', KEYS[5], ARGV[1]) == 1 then
            due = ARGV[4]
          end
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
          redis.call('HDEL', KEYS[4], ARGV[1])
          redis.call('ZADD', KEYS[1], 'XX', due, ARGV[1])
          return 1
        end
        return 0
        """;

    // KEYS: schedule, tasks, index, leases, wakes. ARGV: member. Returns the removed task's json, or false when it was not scheduled.
    private const string RemoveScript = """
        local json = redis.call('HGET', KEYS[2], ARGV[1])
        if json then
          local ok, task = pcall(cjson.decode, json)
          if ok and type(task) == 'table' and task.taskId and redis.call('HGET', KEYS[3], task.taskId) == ARGV[1] then
            redis.call('HDEL', KEYS[3], task.taskId)
          end
        end
        local removed = redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[4], ARGV[1])
        redis.call('HDEL', KEYS[5], ARGV[1])
        if removed == 1 and json then
          return json
        end
        return false
        """;

    // KEYS: schedule, tasks, index, leases, wakes. ARGV: task id, now.
    // Returns 0 (no such scheduled task), 1 (due now) or 2 (being polled: due again when that poll ends).
    private const string WakeScript = """
        local member = redis.call('HGET', KEYS[3], ARGV[1])
        if not member then
          return 0
        end
        local json = redis.call('HGET', KEYS[2], member)
        local ok, task = false, nil
        if json then
          ok, task = pcall(cjson.decode, json)
        end
        if not redis.call('ZSCORE', KEYS[1], member) or not ok or type(task) ~= 'table' or task.taskId ~= ARGV[1] then
          redis.call('HDEL', KEYS[3], ARGV[1])
          return 0
        end
        local lease = redis.call('HGET', KEYS[4], member)
        if lease and tonumber(lease) > tonumber(ARGV[2]) then
          redis.call('HSET', KEYS[5], member, '1')
          return 2
        end
        redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member)
        return 1
        """;

    // KEYS: schedule, tasks, index, leases, wakes. ARGV: member, lease end. Extends the lease of a task still being polled.
    private const string RenewScript = """
        if redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('HGET', KEYS[4], ARGV[1]) then
          redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
          redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
          return 1
        end
        return 0
        """;

    /// <summary>
    /// When an attempt started at <paramref name="startedAt"/> gives up: <c>Providers:{id}:Timeout</c> when it is set,
    /// else <see cref="ProviderPollingOptions.DefaultAsyncTimeout"/> (the 120 s default of one HTTP call is far too
    /// short for a provider that queues work).
    /// </summary>
    public DateTimeOffset DeadlineFor(string provider, DateTimeOffset startedAt) =>
        startedAt + (configuration[$"{ProviderSettings.SectionFor(provider)}:Timeout"] is { Length: > 0 }
            ? settings.Get(provider).Timeout
            : ProviderPollingOptions.DefaultAsyncTimeout);

    public static string ScheduleKey(string provider) => $"imagegen:polls:{provider}";

    public static string TasksKey(string provider) => $"imagegen:polls:{provider}:tasks";

    /// <summary>Schedules <paramref name="task"/> to be polled at <paramref name="due"/>, replacing an entry of the same attempt.</summary>
    public async Task AddAsync(PendingProviderTask task, DateTimeOffset due)
    {
        ArgumentNullException.ThrowIfNull(task);
        await Database.ScriptEvaluateAsync(AddScript, Keys(task.Provider), [task.Key, Serialize(task), due.ToUnixTimeMilliseconds(), task.TaskId]);
    }

    /// <summary>Claims up to <paramref name="max"/> tasks due at <paramref name="now"/>, holding each for <paramref name="lease"/>.</summary>
    public async Task<IReadOnlyList<PendingProviderTask>> ClaimDueAsync(string provider, DateTimeOffset now, TimeSpan lease, int max)
    {
        if (max <= 0)
        {
            return [];
        }

        var result = await Database.ScriptEvaluateAsync(
            ClaimScript,
            Keys(provider),
            [now.ToUnixTimeMilliseconds(), (now + lease).ToUnixTimeMilliseconds(), max]);
        var items = (RedisResult[]?)result ?? [];
        var tasks = new List<PendingProviderTask>(items.Length / 2);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            var json = (string?)items[i + 1];
            if (json is not null && Deserialize(json) is { } task)
            {
                tasks.Add(task);
            }
            else
            {
                // Unreadable (written by an incompatible build): dropped rather than claimed forever.
                await RemoveAsync(provider, (string)items[i]!);
            }
        }

        return tasks;
    }

    /// <summary>
    /// Stores the task's new state and makes it due at <paramref name="due"/> (at <paramref name="now"/> when a webhook
    /// woke it during the poll); false when it is no longer scheduled.
    /// </summary>
    public async Task<bool> RescheduleAsync(PendingProviderTask task, DateTimeOffset due, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        var result = await Database.ScriptEvaluateAsync(
            RescheduleScript,
            Keys(task.Provider),
            [task.Key, Serialize(task), due.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds()]);
        return (long)result == 1;
    }

    /// <summary>Holds a task being polled for longer (a poll with large downloads); false when it is no longer scheduled.</summary>
    public async Task<bool> RenewLeaseAsync(PendingProviderTask task, DateTimeOffset leaseEnd)
    {
        ArgumentNullException.ThrowIfNull(task);
        var result = await Database.ScriptEvaluateAsync(RenewScript, Keys(task.Provider), [task.Key, leaseEnd.ToUnixTimeMilliseconds()]);
        return (long)result == 1;
    }

    /// <summary>
    /// Makes the task the provider knows as <paramref name="providerTaskId"/> due at once (a webhook said it finished).
    /// </summary>
    public async Task<WakeResult> WakeAsync(string provider, string providerTaskId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(providerTaskId);
        var result = await Database.ScriptEvaluateAsync(WakeScript, Keys(provider), [providerTaskId, now.ToUnixTimeMilliseconds()]);
        return (WakeResult)(long)result;
    }

    /// <summary>Takes the task out of the schedule; false when it was not there.</summary>
    public Task<bool> RemoveAsync(PendingProviderTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return RemoveAsync(task.Provider, task.Key);
    }

    /// <summary>The task's stored JSON, or null (for diagnostics and tests).</summary>
    public async Task<string?> ReadJsonAsync(string provider, string key) => await Database.HashGetAsync(TasksKey(provider), key);

    /// <summary>When the task is due (unix ms), or null when it is not scheduled.</summary>
    public async Task<DateTimeOffset?> DueAsync(string provider, string key) =>
        await Database.SortedSetScoreAsync(ScheduleKey(provider), key) is { } score ? DateTimeOffset.FromUnixTimeMilliseconds((long)score) : null;

    /// <summary>Takes the task with this key ("{jobId:N}:{attempt}") out of the schedule; false when it was not there.</summary>
    public async Task<bool> RemoveAsync(string provider, string key) => !(await RemoveCoreAsync(provider, key)).IsNull;

    /// <summary>
    /// Takes the task with this key out of the schedule and returns it; null when it was not scheduled. Of several
    /// callers at once only one gets it, so only one acts on its end (cancels it at the provider). An entry that no
    /// longer reads is removed and reported as null.
    /// </summary>
    public async Task<PendingProviderTask?> TakeAsync(string provider, string key)
    {
        var result = await RemoveCoreAsync(provider, key);
        return result.IsNull ? null : Deserialize((string)result!);
    }

    private Task<RedisResult> RemoveCoreAsync(string provider, string key) => Database.ScriptEvaluateAsync(RemoveScript, Keys(provider), [key]);

    private IDatabase Database => redis.GetDatabase();

    private static RedisKey[] Keys(string provider)
    {
        var schedule = ScheduleKey(provider);
        return [schedule, TasksKey(provider), $"{schedule}:by-task", $"{schedule}:leases", $"{schedule}:wakes"];
    }

    private static string Serialize(PendingProviderTask task) => JsonSerializer.Serialize(task, Json);

    private static PendingProviderTask? Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<PendingProviderTask>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What waking a task did.</summary>
public enum WakeResult
{
    /// <summary>No scheduled task has that id: finished already, canceled, not yet scheduled, or unknown.</summary>
    NotScheduled = 0,

    /// <summary>The task is due now.</summary>
    Due = 1,

    /// <summary>The task is being polled; it comes due again as soon as that poll ends.</summary>
    AfterCurrentPoll = 2,
}
