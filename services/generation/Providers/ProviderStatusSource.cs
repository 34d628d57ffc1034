using System.Collections.Concurrent;
using System.Text.Json;
using ImageGen.Contracts;
using StackExchange.Redis;

namespace ImageGen.Generation.Providers;

/// <summary>The workers of a provider that reported in recently.</summary>
public interface IProviderStatusSource
{
    IReadOnlyList<ProviderWorkerStatus> Get(string providerId);
}

/// <summary>
/// Reads the reports workers keep in Redis. Cached for a couple of seconds: validation asks on every
/// request, and a report is only refreshed every ten seconds anyway.
/// </summary>
public sealed class RedisProviderStatusSource(IConnectionMultiplexer redis, TimeProvider clock, ILogger<RedisProviderStatusSource> logger) : IProviderStatusSource
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, IReadOnlyList<ProviderWorkerStatus> Workers)> _cache = new();

    public IReadOnlyList<ProviderWorkerStatus> Get(string providerId)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(providerId, out var cached) && now - cached.ReadAt < CacheFor)
        {
            return cached.Workers;
        }

        IReadOnlyList<ProviderWorkerStatus> workers;
        try
        {
            workers = redis.GetDatabase().HashGetAll(ProviderStatusKeys.For(providerId))
                .Select(e => TryParse(e.Value))
                .Where(s => s is not null && now - s.ReportedAt < ProviderStatusKeys.FreshFor)
                .Select(s => s!)
                .ToList();
        }
        catch (RedisException ex)
        {
            // Without Redis the last known state is the best guess; an empty one would refuse every job.
            logger.LogWarning(ex, "Could not read provider status from Redis");
            return cached.Workers ?? [];
        }

        _cache[providerId] = (now, workers);
        return workers;
    }

    private static ProviderWorkerStatus? TryParse(RedisValue value)
    {
        try
        {
            return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<ProviderWorkerStatus>(value.ToString(), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
