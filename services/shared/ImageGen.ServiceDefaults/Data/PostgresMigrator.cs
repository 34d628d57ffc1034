using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImageGen.ServiceDefaults.Data;

/// <summary>
/// Applies versioned SQL migrations embedded in a service assembly (resources named
/// <c>…Migrations.NNNN_description.sql</c>) in order, each in its own transaction, exactly once.
/// A session advisory lock makes concurrent replicas starting together take turns.
/// </summary>
public static class PostgresMigrator
{
    private const long AdvisoryLockKey = 0x496d61676547656e; // "ImageGen"

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, Assembly assembly, ILogger logger, CancellationToken cancellationToken = default)
    {
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Resource: n, Name: n[(n.IndexOf(".Migrations.", StringComparison.Ordinal) + 12)..]))
            .Select(m => (m.Resource, m.Name, Version: int.Parse(m.Name.AsSpan(0, m.Name.IndexOf('_')), System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(m => m.Version)
            .ToList();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLockKey})", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var applied = new HashSet<int>();
            await using (var query = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await query.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
            {
                string sql;
                await using (var stream = assembly.GetManifestResourceStream(migration.Resource)!)
                using (var streamReader = new StreamReader(stream))
                {
                    sql = await streamReader.ReadToEndAsync(cancellationToken);
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", connection, transaction))
                {
                    record.Parameters.AddWithValue(migration.Version);
                    record.Parameters.AddWithValue(migration.Name);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied database migration {Migration}", migration.Name);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLockKey})", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
