using System.Net;
using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Testing;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ImageGen.Providers.Tests;

public sealed class Reporting_worker_status : IAsyncLifetime
{
    // A bound on waiting so a broken reporter fails the test instead of hanging it; not a speed requirement.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private async Task<Dictionary<string, string>> ReportsAsync(string providerId) =>
        (await _redis.GetDatabase().HashGetAllAsync(ProviderStatusKeys.For(providerId)))
        .ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());

    private async Task<(string Field, string Json)> FirstReportAsync(string providerId, Func<ProviderWorkerStatus, bool>? until = null)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            foreach (var (field, json) in await ReportsAsync(providerId))
            {
                if (until is null || until(JsonSerializer.Deserialize<ProviderWorkerStatus>(json, Json)!))
                {
                    return (field, json);
                }
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    [Fact]
    public async Task A_running_worker_reports_itself_in_redis_and_removes_its_report_when_it_stops()
    {
        var worker = await KeyedProviderWorker.StartAsync(apiKey: "sk-configured-0123456789abcdef", statusInterval: TimeSpan.FromMilliseconds(300));
        string field;
        try
        {
            var (first, json) = await FirstReportAsync(worker.ProviderId);
            field = first;
            using var document = JsonDocument.Parse(json);
            // snake_case, as the orchestrator reads it.
            Assert.Equal(worker.ProviderId, document.RootElement.GetProperty("provider").GetString());
            Assert.Equal(field, document.RootElement.GetProperty("instance").GetString());
            Assert.True(document.RootElement.GetProperty("credentials_configured").GetBoolean());
            var reportedAt = document.RootElement.GetProperty("reported_at").GetDateTimeOffset();
            Assert.InRange(DateTimeOffset.UtcNow - reportedAt, TimeSpan.FromSeconds(-5), ProviderStatusKeys.FreshFor);
            Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}-", field);

            // Reports keep coming, not just once at start.
            await FirstReportAsync(worker.ProviderId, s => s.ReportedAt > reportedAt);
        }
        finally
        {
            await worker.DisposeAsync();
        }

        Assert.DoesNotContain(field, (await ReportsAsync(worker.ProviderId)).Keys);
    }

    [Fact]
    public async Task A_worker_without_a_key_reports_that_it_cannot_authenticate_and_why()
    {
        await using var worker = await KeyedProviderWorker.StartAsync(apiKey: null, statusInterval: TimeSpan.FromMilliseconds(300));

        var (_, json) = await FirstReportAsync(worker.ProviderId);
        var status = JsonSerializer.Deserialize<ProviderWorkerStatus>(json, Json)!;

        Assert.False(status.CredentialsConfigured);
        Assert.Contains($"Providers:{worker.ProviderId}:ApiKey", status.Detail);
        Assert.Contains("only jobs with a per-request key can run", status.Detail);
    }

    [Fact]
    public async Task Reports_of_workers_that_died_long_ago_are_pruned()
    {
        await using var worker = await KeyedProviderWorker.StartAsync(apiKey: null, statusInterval: TimeSpan.FromMilliseconds(300));
        var key = ProviderStatusKeys.For(worker.ProviderId);
        var dead = new ProviderWorkerStatus(worker.ProviderId, "dead-worker", true, DateTimeOffset.UtcNow.AddHours(-1));
        var recent = new ProviderWorkerStatus(worker.ProviderId, "recent-worker", true, DateTimeOffset.UtcNow.AddSeconds(-30));
        await _redis.GetDatabase().HashSetAsync(key, [new("dead-worker", JsonSerializer.Serialize(dead, Json)), new("recent-worker", JsonSerializer.Serialize(recent, Json))]);

        using var timeout = new CancellationTokenSource(Patience);
        while ((await ReportsAsync(worker.ProviderId)).ContainsKey("dead-worker"))
        {
            await Task.Delay(100, timeout.Token);
        }

        Assert.Contains("recent-worker", (await ReportsAsync(worker.ProviderId)).Keys);
        await _redis.GetDatabase().HashDeleteAsync(key, "recent-worker");
    }

    [Fact]
    public async Task Without_redis_the_worker_keeps_taking_jobs_and_keeps_trying_to_report()
    {
        // Nothing listens on port 1.
        await using var worker = await KeyedProviderWorker.StartAsync(apiKey: "sk-configured-0123456789abcdef", redis: "127.0.0.1:1,connectTimeout=500", statusInterval: TimeSpan.FromMilliseconds(300));

        var events = await worker.RunAsync(worker.Command());
        using var timeout = new CancellationTokenSource(Patience);
        while (worker.Logs.Lines.Count(l => l.Category.EndsWith("ProviderStatusReporter", StringComparison.Ordinal) && l.Message.StartsWith("Status report still failing", StringComparison.Ordinal)) < 2)
        {
            await Task.Delay(100, timeout.Token);
        }

        Assert.Single(events.OfType<ImageGenerationSucceeded>());
        using var client = worker.Worker.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        var warning = Assert.Single(worker.Logs.Lines, l => l.Category.EndsWith("ProviderStatusReporter", StringComparison.Ordinal) && l.Level == LogLevel.Warning);
        Assert.Contains(ProviderStatusKeys.For(worker.ProviderId), warning.Message);
    }
}
