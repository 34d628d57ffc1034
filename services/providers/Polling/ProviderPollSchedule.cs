using System.Text.Json;
using ImageGen.Providers.Adapters;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ImageGen.Providers.Polling;

/// <summary>
/// The durable schedule of provider tasks to poll, in Redis: per provider a sorted set
/// <c>imagegen:polls:{provider}</c> of task keys scored by when they are due (unix ms), and a hash
/// <c>imagegen:polls:{provider}:tasks</c> of their JSON (<see cref="PendingProviderTask"/>).
/// </summary>
/// <remarks>
/// Claiming moves a due task's score to now + lease in the same script that reads it, so two workers never
/// poll one task at once, and a worker that dies mid-poll only delays it by the lease. Every change after
/// that applies only while the task is still scheduled, so a task completed elsewhere is not revived.
/// Redis should persist (AOF) for the schedule to outlive a Redis restart.
/// </remarks>
public sealed class ProviderPollSchedule(IConnectionMultiplexer redis, IConfiguration configuration, IOptionsMonitor<ProviderSettings> settings)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // KEYS: schedule, tasks. ARGV: now, lease end, most to claim. Returns key, json, key, json, …
    private const string ClaimScript = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
        local claimed = {}
        for _, member in ipairs(due) do
          local json = redis.call('HGET', KEYS[2], member)
          if json then
            redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member)
            table.insert(claimed, member)
            table.insert(claimed, json)
          else
            redis.call('ZREM', KEYS[1], member)
          end
        end
        return claimed
        """;

    // KEYS: schedule, tasks. ARGV: member, json, due. Only a task still scheduled is updated.
    private const string RescheduleScript = """
        if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
          redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
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
        var transaction = Database.CreateTransaction();
        _ = transaction.HashSetAsync(TasksKey(task.Provider), task.Key, Serialize(task));
        _ = transaction.SortedSetAddAsync(ScheduleKey(task.Provider), task.Key, due.ToUnixTimeMilliseconds());
        if (!await transaction.ExecuteAsync())
        {
            throw new RedisException("Redis did not apply the scheduling of a provider task.");
        }
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
            [ScheduleKey(provider), TasksKey(provider)],
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

    /// <summary>Stores the task's new state and makes it due at <paramref name="due"/>; false when it is no longer scheduled.</summary>
    public async Task<bool> RescheduleAsync(PendingProviderTask task, DateTimeOffset due)
    {
        ArgumentNullException.ThrowIfNull(task);
        var result = await Database.ScriptEvaluateAsync(
            RescheduleScript,
            [ScheduleKey(task.Provider), TasksKey(task.Provider)],
            [task.Key, Serialize(task), due.ToUnixTimeMilliseconds()]);
        return (long)result == 1;
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
    public async Task<bool> RemoveAsync(string provider, string key)
    {
        var transaction = Database.CreateTransaction();
        var removed = transaction.SortedSetRemoveAsync(ScheduleKey(provider), key);
        _ = transaction.HashDeleteAsync(TasksKey(provider), key);
        await transaction.ExecuteAsync();
        return await removed;
    }

    private IDatabase Database => redis.GetDatabase();

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
