using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using ImageGen.Contracts;
using MassTransit;
using Npgsql;
using NpgsqlTypes;

namespace ImageGen.Generation.Data;

/// <summary>Wakes the dispatcher as soon as a row is committed, instead of waiting for its next poll.</summary>
public sealed class OutboxSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _channel.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed: look anyway, another replica may have written rows.
        }
    }
}

public static class OutboxWriter
{
    /// <summary>Destination of an event published to every subscriber rather than sent to one queue.</summary>
    public const string Publish = "";

    /// <param name="availableAt">When the message may be sent (a retry waiting out its backoff); null for at once.</param>
    public static async Task EnqueueAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string destination, T message, CancellationToken cancellationToken, DateTimeOffset? availableAt = null)
        where T : class
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO outbox (destination, message_type, payload, trace_parent, available_at) VALUES ($1, $2, $3, $4, COALESCE($5, now()))", connection, transaction);
        command.Parameters.AddWithValue(destination);
        command.Parameters.AddWithValue(typeof(T).FullName!);
        command.Parameters.AddWithValue(NpgsqlDbType.Jsonb, JsonSerializer.Serialize(message, JobRepository.Json));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)Activity.Current?.Id ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)availableAt ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// Sends committed outbox rows to their queues and deletes them once the broker has confirmed them.
/// A crash between the two sends a row again; consumers are idempotent, so that costs nothing.
/// Several replicas can run it at once: rows are claimed with SKIP LOCKED.
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    OutboxSignal signal,
    IServiceScopeFactory scopeFactory,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 100;
    // Also how late a retry that waits out a backoff can be sent.
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly ActivitySource Activities = new("ImageGen.Generation.Outbox");
    private static readonly Dictionary<string, Type> MessageTypes =
        typeof(GenerateImage).Assembly.GetExportedTypes().Where(t => t.FullName is not null).ToDictionary(t => t.FullName!);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await DispatchBatchAsync(stoppingToken);
                failures = 0;
                if (sent == BatchSize)
                {
                    continue;
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                logger.LogWarning(ex, "Outbox dispatch failed ({Failures} in a row); retrying", failures);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, Math.Min(failures, 6)))), stoppingToken);
                continue;
            }

            await signal.WaitAsync(PollInterval, stoppingToken);
        }
    }

    private async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var rows = new List<(long Id, string Destination, string Type, string Payload, string? TraceParent)>();
        await using (var select = new NpgsqlCommand(
            "SELECT id, destination, message_type, payload::text, trace_parent FROM outbox WHERE available_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", connection, transaction))
        {
            select.Parameters.AddWithValue(BatchSize);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        await using var scope = scopeFactory.CreateAsyncScope();
        var endpoints = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();
        var publisher = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        foreach (var row in rows)
        {
            ActivityContext.TryParse(row.TraceParent, null, out var parent);
            using var activity = Activities.StartActivity("outbox send", ActivityKind.Producer, parent);
            var message = JsonSerializer.Deserialize(row.Payload, MessageTypes[row.Type], JobRepository.Json)!;
            if (row.Destination == OutboxWriter.Publish)
            {
                await publisher.Publish(message, MessageTypes[row.Type], cancellationToken);
            }
            else
            {
                var endpoint = await endpoints.GetSendEndpoint(new Uri($"queue:{row.Destination}"));
                await endpoint.Send(message, MessageTypes[row.Type], cancellationToken);
            }
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM outbox WHERE id = ANY($1)", connection, transaction))
        {
            delete.Parameters.AddWithValue(rows.Select(r => r.Id).ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }
}
