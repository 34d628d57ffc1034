using System.Net.Http.Json;
using System.Text.Json;
using ImageGen.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace ImageGen.Stats.Tests.Infrastructure;

/// <summary>
/// The stats service hosted in-process against a fresh PostgreSQL database and the real RabbitMQ test
/// vhost. Each fixture reads from a queue of its own, so test classes running side by side each get
/// every event; tests keep their numbers apart with their own owners and time windows.
/// </summary>
public sealed class StatsServiceFixture : IAsyncLifetime
{
    /// <summary>How long to wait for asynchronous delivery; a bound on waiting, not a performance goal.</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(15);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly string queue = $"stats-test-{Guid.NewGuid():N}";
    private TemporaryDatabase? database;
    private WebApplicationFactory<Program>? factory;

    public OutcomeDeliveries Deliveries { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        database = await TemporaryDatabase.CreateAsync("stats");
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment("Testing");
            host.UseSetting("ConnectionStrings:statsdb", database.ConnectionString);
            host.UseSetting("ConnectionStrings:messaging", TestInfrastructure.RabbitMqFor("stats"));
            host.UseSetting(Extensions.OutcomesQueueKey, queue);
            host.ConfigureTestServices(services =>
            {
                // Events published before the queue is bound would be dropped by the broker.
                services.Configure<MassTransitHostOptions>(o =>
                {
                    o.WaitUntilStarted = true;
                    o.StartTimeout = TimeSpan.FromSeconds(30);
                });
                services.AddConsumeObserver(_ => Deliveries);
            });
        });
        Client = factory.CreateClient();
    }

    /// <summary>Publishes through the service's own bus, as any other service on the broker would.</summary>
    public async Task PublishAsync(params object[] events)
    {
        var bus = factory!.Services.GetRequiredService<IBus>();
        foreach (var message in events)
        {
            Deliveries.Expect(message);
            await bus.Publish(message);
        }
    }

    public async Task<StatsReport> GetStatsAsync(string query)
    {
        var response = await Client.GetAsync($"/v1/stats?{query}");
        Assert.True(response.IsSuccessStatusCode, $"GET /v1/stats?{query} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<StatsReport>(Json))!;
    }

    /// <summary>Polls the API until <paramref name="total"/> outcomes are reported (or the delivery timeout passes).</summary>
    public async Task<StatsReport> WaitForTotalAsync(string query, long total)
    {
        var deadline = DateTimeOffset.UtcNow + DeliveryTimeout;
        while (true)
        {
            var report = await GetStatsAsync(query);
            if (report.Totals.Total >= total || DateTimeOffset.UtcNow > deadline)
            {
                return report;
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        await DeleteQueueAsync();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    // The queue and its exchange outlive the bus; left behind they would collect every event of later runs.
    private async Task DeleteQueueAsync()
    {
        var connectionFactory = new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMqFor("stats")) };
        await using var connection = await connectionFactory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in new[] { queue, $"{queue}_error", $"{queue}_skipped" })
        {
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }
}
