using Npgsql;
using NpgsqlTypes;

namespace ImageGen.Stats.Data;

/// <summary>Writes outcomes. Each (job, attempt) is stored once however often its event is delivered.</summary>
public sealed class OutcomeStore(NpgsqlDataSource dataSource)
{
    /// <returns><c>false</c> when the outcome was already recorded (a redelivery).</returns>
    public async Task<bool> RecordAsync(GenerationOutcome outcome, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO generation_outcomes
                (job_id, attempt, owner, provider, model, succeeded, error_code, image_count, bytes,
                 requested_at, started_at, completed_at, latency_ms, total_ms, cost_usd)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT (job_id, attempt) DO NOTHING
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid> { TypedValue = outcome.JobId });
        p.Add(new NpgsqlParameter<int> { TypedValue = outcome.Attempt });
        p.Add(new NpgsqlParameter<string> { TypedValue = outcome.Owner });
        p.Add(new NpgsqlParameter<string> { TypedValue = outcome.Provider });
        p.Add(new NpgsqlParameter<string> { TypedValue = outcome.Model });
        p.Add(new NpgsqlParameter<bool> { TypedValue = outcome.Succeeded });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)outcome.ErrorCode ?? DBNull.Value });
        p.Add(new NpgsqlParameter<int> { TypedValue = outcome.ImageCount });
        p.Add(new NpgsqlParameter<long> { TypedValue = outcome.Bytes });
        // timestamptz accepts only UTC offsets; events may carry the publisher's local offset.
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = outcome.RequestedAt.ToUniversalTime() });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = outcome.StartedAt.ToUniversalTime() });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = outcome.CompletedAt.ToUniversalTime() });
        p.Add(new NpgsqlParameter<long> { TypedValue = outcome.LatencyMs });
        p.Add(new NpgsqlParameter<long> { TypedValue = outcome.TotalMs });
        p.Add(new NpgsqlParameter<decimal> { TypedValue = outcome.CostUsd });

        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
