using System.Data;
using ImageGen.Stats.Model;
using Npgsql;
using NpgsqlTypes;

namespace ImageGen.Stats.Data;

/// <summary>Aggregates stored outcomes. Percentiles are computed by PostgreSQL, never by loading rows.</summary>
public sealed class StatsReader(NpgsqlDataSource dataSource)
{
    private const string Window = "completed_at >= $1 AND completed_at < $2 AND ($3::text IS NULL OR owner = $3)";

    public async Task<StatsReport> ReadAsync(StatsQuery query, CancellationToken cancellationToken)
    {
        // The key expression is picked from a fixed set, never built from input.
        var key = query.GroupBy switch
        {
            StatsGrouping.Provider => "provider",
            StatsGrouping.Model => "provider || '/' || model",
            StatsGrouping.Day => "to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.GroupBy, "Unknown grouping."),
        };

        // GROUPING SETS yield the per-group rows and the totals row from one scan; the empty set's row
        // (GROUPING(key) = 1) is the totals, so totals' percentiles are true percentiles, not averages.
        var summaries = new NpgsqlBatchCommand($"""
            SELECT GROUPING({key}) = 1,
                   {key},
                   count(*),
                   count(*) FILTER (WHERE succeeded),
                   coalesce(sum(image_count), 0)::bigint,
                   coalesce(sum(bytes), 0)::bigint,
                   percentile_cont(0.5)  WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE succeeded),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE succeeded),
                   percentile_cont(0.5)  WITHIN GROUP (ORDER BY total_ms)   FILTER (WHERE succeeded),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms)   FILTER (WHERE succeeded),
                   coalesce(sum(cost_usd), 0)
            FROM generation_outcomes
            WHERE {Window}
            GROUP BY GROUPING SETS (({key}), ())
            """);
        var errors = new NpgsqlBatchCommand($"""
            SELECT GROUPING({key}) = 1, {key}, error_code, count(*)
            FROM generation_outcomes
            WHERE NOT succeeded AND {Window}
            GROUP BY GROUPING SETS (({key}, error_code), (error_code))
            """);
        AddWindowParameters(summaries, query);
        AddWindowParameters(errors, query);

        var rows = new List<SummaryRow>();
        var totalErrors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var groupErrors = new Dictionary<string, SortedDictionary<string, long>>(StringComparer.Ordinal);

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        // One snapshot for both statements, so the error breakdown always adds up to the failed counts.
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken))
        {
            await using (var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { summaries, errors } })
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(new SummaryRow(
                        IsTotal: reader.GetBoolean(0),
                        Key: reader.IsDBNull(1) ? null : reader.GetString(1),
                        Total: reader.GetInt64(2),
                        Succeeded: reader.GetInt64(3),
                        Images: reader.GetInt64(4),
                        Bytes: reader.GetInt64(5),
                        Latency: new Percentiles(NullableDouble(reader, 6), NullableDouble(reader, 7)),
                        TotalTime: new Percentiles(NullableDouble(reader, 8), NullableDouble(reader, 9)),
                        CostUsd: reader.GetDecimal(10)));
                }

                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var codes = reader.GetBoolean(0) ? totalErrors : ErrorsOf(groupErrors, reader.GetString(1));
                    codes[reader.GetString(2)] = reader.GetInt64(3);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        var totals = new OutcomeSummary();
        var groups = new List<StatsGroup>();
        foreach (var row in rows)
        {
            if (row.IsTotal)
            {
                totals = row.ToSummary(totalErrors);
            }
            else
            {
                var group = row.Key ?? string.Empty;
                groups.Add(new StatsGroup(group, row.ToSummary(groupErrors.GetValueOrDefault(group) ?? new SortedDictionary<string, long>())));
            }
        }

        groups.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new StatsReport(query.From, query.To, StatsQuery.Name(query.GroupBy), query.Owner, totals, groups);
    }

    private static SortedDictionary<string, long> ErrorsOf(Dictionary<string, SortedDictionary<string, long>> groupErrors, string group)
    {
        if (!groupErrors.TryGetValue(group, out var codes))
        {
            groupErrors[group] = codes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        }

        return codes;
    }

    private static void AddWindowParameters(NpgsqlBatchCommand command, StatsQuery query)
    {
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = query.From.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = query.To.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)query.Owner ?? DBNull.Value });
    }

    // Interpolation leaves floating-point noise (954.9999999999999); a microsecond is finer than any clock here.
    private static double? NullableDouble(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Math.Round(reader.GetDouble(ordinal), 3);

    private sealed record SummaryRow(
        bool IsTotal, string? Key, long Total, long Succeeded, long Images, long Bytes, Percentiles Latency, Percentiles TotalTime, decimal CostUsd)
    {
        public OutcomeSummary ToSummary(IReadOnlyDictionary<string, long> errors) => new()
        {
            Total = Total,
            Succeeded = Succeeded,
            Failed = Total - Succeeded,
            SuccessRate = Total == 0 ? null : Math.Round((double)Succeeded / Total, 4),
            Images = Images,
            Bytes = Bytes,
            LatencyMs = Latency,
            TotalMs = TotalTime,
            CostUsd = CostUsd,
            Errors = errors,
        };
    }
}
