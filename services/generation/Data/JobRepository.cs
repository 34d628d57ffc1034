using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Generation.Model;
using Npgsql;
using NpgsqlTypes;

namespace ImageGen.Generation.Data;

/// <summary>A position in the newest-first job listing: the last job of the previous page.</summary>
public sealed record JobCursor(DateTimeOffset CreatedAt, Guid Id);

/// <summary>Jobs in PostgreSQL. State changes are conditional updates, so each happens at most once.</summary>
public sealed class JobRepository(NpgsqlDataSource dataSource, OutboxSignal outboxSignal)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private const string JobColumns =
        "id, owner, status, provider, model, request, attempts, error_code, error_message, created_at, updated_at, started_at, completed_at, result_warnings, deadline_at";

    /// <summary>
    /// Stores the job and its command in one transaction: once this returns, the job will run. With an idempotency
    /// key, a key already used (within <paramref name="keyLifetime"/>) stores nothing and names the job it created,
    /// or reports a conflict when it was used for a different request.
    /// </summary>
    public async Task<JobCreation> CreateAsync(
        Job job, GenerateImage command, CancellationToken cancellationToken, IdempotencyClaim? idempotency = null, TimeSpan keyLifetime = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (idempotency is not null)
        {
            // Concurrent requests with one key queue on its row: the second sees the first's job once that commits.
            await using var claim = new NpgsqlCommand("""
                INSERT INTO idempotency_keys (owner, key, fingerprint, job_id, created_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (owner, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, job_id = EXCLUDED.job_id, created_at = EXCLUDED.created_at
                    WHERE idempotency_keys.created_at < $6
                RETURNING job_id
                """, connection, transaction);
            claim.Parameters.AddWithValue(job.Owner);
            claim.Parameters.AddWithValue(idempotency.Key);
            claim.Parameters.AddWithValue(idempotency.Fingerprint);
            claim.Parameters.AddWithValue(job.Id);
            claim.Parameters.AddWithValue(job.CreatedAt);
            claim.Parameters.AddWithValue(job.CreatedAt - keyLifetime);
            if (await claim.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var existing = new NpgsqlCommand(
                    "SELECT fingerprint, job_id FROM idempotency_keys WHERE owner = $1 AND key = $2", connection, transaction);
                existing.Parameters.AddWithValue(job.Owner);
                existing.Parameters.AddWithValue(idempotency.Key);
                await using var reader = await existing.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                var sameRequest = reader.GetString(0) == idempotency.Fingerprint;
                return new JobCreation(reader.GetGuid(1), Replayed: sameRequest, KeyConflict: !sameRequest);
            }
        }

        await using (var insertJob = new NpgsqlCommand(
            """
            INSERT INTO jobs (id, owner, status, provider, model, request, attempts, created_at, updated_at, sealed_credential, own_key, deadline_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9 IS NOT NULL, $10)
            """,
            connection,
            transaction))
        {
            insertJob.Parameters.AddWithValue(job.Id);
            insertJob.Parameters.AddWithValue(job.Owner);
            insertJob.Parameters.AddWithValue(job.Status);
            insertJob.Parameters.AddWithValue(job.Provider);
            insertJob.Parameters.AddWithValue(job.Model);
            insertJob.Parameters.AddWithValue(NpgsqlDbType.Jsonb, JsonSerializer.Serialize(job.Request, Json));
            insertJob.Parameters.AddWithValue(job.Attempts);
            insertJob.Parameters.AddWithValue(job.CreatedAt);
            insertJob.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)command.SealedCredential ?? DBNull.Value });
            insertJob.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)job.DeadlineAt ?? DBNull.Value });
            await insertJob.ExecuteNonQueryAsync(cancellationToken);
        }

        await AddAttemptAsync(connection, transaction, command, job.CreatedAt, cancellationToken);

        await OutboxWriter.EnqueueAsync(connection, transaction, ProviderQueues.For(job.Provider), command, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outboxSignal.Notify();
        return JobCreation.Created(job);
    }

    public async Task<Job?> GetAsync(Guid id, string owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {JobColumns} FROM jobs WHERE id = $1 AND owner = $2");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(owner);
        var jobs = await ReadJobsAsync(command, cancellationToken);
        return jobs.Count == 0 ? null : jobs[0];
    }

    public async Task<string?> GetStatusAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT status FROM jobs WHERE id = $1");
        command.Parameters.AddWithValue(id);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Newest first. Reads one row more than asked to know whether another page follows.</summary>
    public async Task<(IReadOnlyList<Job> Jobs, JobCursor? Next)> ListAsync(
        string owner, string? status, string? provider, int limit, JobCursor? after, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {JobColumns} FROM jobs
            WHERE owner = $1
              AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR provider = $3)
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
            ORDER BY created_at DESC, id DESC
            LIMIT $6
            """);
        command.Parameters.AddWithValue(owner);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)status ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)provider ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)after?.CreatedAt ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)after?.Id ?? DBNull.Value });
        command.Parameters.AddWithValue(limit + 1);

        var jobs = await ReadJobsAsync(command, cancellationToken);
        if (jobs.Count <= limit)
        {
            return (jobs, null);
        }

        var page = jobs.Take(limit).ToList();
        return (page, new JobCursor(page[^1].CreatedAt, page[^1].Id));
    }

    /// <summary>
    /// Cancels a job that has not ended, and announces it (through the outbox, in the same transaction)
    /// so its worker can stop. Returns the job as it is afterwards (null when there is no such job) and
    /// whether this call canceled it.
    /// </summary>
    public async Task<(Job? Job, bool Canceled)> CancelAsync(Guid id, string owner, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string? provider = null;
        var attempt = 1;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using (var update = new NpgsqlCommand(
                "UPDATE jobs SET status = 'canceled', completed_at = $3, updated_at = $3, sealed_credential = NULL WHERE id = $1 AND owner = $2 AND status IN ('queued', 'running') RETURNING provider, GREATEST(attempts, 1)",
                connection,
                transaction))
            {
                update.Parameters.AddWithValue(id);
                update.Parameters.AddWithValue(owner);
                update.Parameters.AddWithValue(now);
                await using var reader = await update.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                {
                    provider = reader.GetString(0);
                    attempt = reader.GetInt32(1);
                }
            }

            if (provider is not null)
            {
                await StopAttemptAsync(connection, transaction, id, attempt, provider, JobStatus.Canceled, null, null, now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (provider is not null)
        {
            outboxSignal.Notify();
        }

        return (await GetAsync(id, owner, cancellationToken), provider is not null);
    }

    /// <summary>
    /// Fails every active job whose deadline has passed with <c>timeout</c>, telling its worker to stop (and the provider
    /// to cancel, where it can). Safe on every replica at once: each job is taken by one UPDATE. Returns the jobs ended.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> TimeOutOverdueAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var overdue = new List<(Guid Id, string Provider, int Attempt, DateTimeOffset CreatedAt)>();
        await using (var update = new NpgsqlCommand("""
            UPDATE jobs SET status = 'failed', error_code = 'timeout', completed_at = $1, updated_at = $1, sealed_credential = NULL,
                            error_message = 'The job did not finish by its deadline (' || to_char(deadline_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '); it was stopped.'
            WHERE id IN (SELECT id FROM jobs WHERE status IN ('queued', 'running') AND deadline_at < $1 ORDER BY deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING id, provider, GREATEST(attempts, 1), created_at
            """, connection, transaction))
        {
            update.Parameters.AddWithValue(now);
            update.Parameters.AddWithValue(max);
            await using var reader = await update.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                overdue.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }

        foreach (var job in overdue)
        {
            await StopAttemptAsync(connection, transaction, job.Id, job.Attempt, job.Provider, JobStatus.Failed, ErrorCodes.Timeout,
                $"The job's deadline passed while this attempt was queued or running ({(now - job.CreatedAt).TotalSeconds:0} s after the job was made).", now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (overdue.Count > 0)
        {
            outboxSignal.Notify();
        }

        return overdue.Select(j => j.Id).ToList();
    }

    // Ends the job's current attempt as it ended the job, drops a command not yet sent (the first, or a retry waiting
    // out its backoff) and tells the worker to stop, which also cancels the provider's task where it can.
    private static async Task StopAttemptAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, int attempt, string provider, string status,
        string? errorCode, string? errorMessage, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using (var settle = new NpgsqlBatch(connection, transaction))
        {
            var attemptEnded = new NpgsqlBatchCommand("""
                UPDATE job_attempts SET status = $4, completed_at = $3, error_code = $5, error_message = $6
                WHERE job_id = $1 AND attempt = $2 AND status IN ('queued', 'running')
                """);
            attemptEnded.Parameters.AddWithValue(id);
            attemptEnded.Parameters.AddWithValue(attempt);
            attemptEnded.Parameters.AddWithValue(now);
            attemptEnded.Parameters.AddWithValue(status);
            attemptEnded.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)errorCode ?? DBNull.Value });
            attemptEnded.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)errorMessage ?? DBNull.Value });
            var unsent = new NpgsqlBatchCommand("DELETE FROM outbox WHERE message_type = $1 AND payload->>'job_id' = $2");
            unsent.Parameters.AddWithValue(typeof(GenerateImage).FullName!);
            unsent.Parameters.AddWithValue(id.ToString());
            settle.BatchCommands.Add(attemptEnded);
            settle.BatchCommands.Add(unsent);
            await settle.ExecuteNonQueryAsync(cancellationToken);
        }

        await OutboxWriter.EnqueueAsync(connection, transaction, OutboxWriter.Publish, new GenerationCanceled(id, attempt, provider, now), cancellationToken);
    }

    /// <summary>Records that a worker took the attempt. Ignored once the job is past it.</summary>
    public async Task MarkRunningAsync(Guid id, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var sql in new[]
        {
            """
            UPDATE jobs SET status = 'running', attempts = GREATEST(attempts, $2),
                            started_at = COALESCE(started_at, $3), updated_at = now()
            WHERE id = $1 AND status = 'queued' AND attempts <= $2
            """,
            "UPDATE job_attempts SET status = 'running', started_at = COALESCE(started_at, $3) WHERE job_id = $1 AND attempt = $2 AND status = 'queued'",
        })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue(id);
            command.Parameters.AddWithValue(attempt);
            command.Parameters.AddWithValue(startedAt);
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Moves the job to succeeded with its images. Returns false when it was already terminal.</summary>
    public async Task<bool> CompleteSucceededAsync(ImageGenerationSucceeded outcome, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await CompleteAsync(connection, transaction, outcome.JobId, outcome.Attempt, JobStatus.Succeeded, null, null, outcome.StartedAt, outcome.CompletedAt, cancellationToken))
        {
            return false;
        }

        await RecordAttemptAsync(connection, transaction, outcome.JobId, outcome.Attempt, JobStatus.Succeeded, outcome.StartedAt, outcome.CompletedAt,
            null, null, null, outcome.CostUsd, cancellationToken);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            if (outcome.Warnings is { Count: > 0 } warnings)
            {
                var note = new NpgsqlBatchCommand("UPDATE jobs SET result_warnings = $2 WHERE id = $1");
                note.Parameters.AddWithValue(outcome.JobId);
                note.Parameters.AddWithValue(warnings.ToArray());
                batch.BatchCommands.Add(note);
            }

            for (var i = 0; i < outcome.Images.Count; i++)
            {
                var image = outcome.Images[i];
                var insert = new NpgsqlBatchCommand(
                    "INSERT INTO job_images (job_id, index, storage_key, width, height, content_type, bytes, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
                insert.Parameters.AddWithValue(outcome.JobId);
                insert.Parameters.AddWithValue(i);
                insert.Parameters.AddWithValue(image.StorageKey);
                insert.Parameters.AddWithValue(image.Width);
                insert.Parameters.AddWithValue(image.Height);
                insert.Parameters.AddWithValue(image.ContentType);
                insert.Parameters.AddWithValue(image.Bytes);
                insert.Parameters.AddWithValue(image.Sha256);
                batch.BatchCommands.Add(insert);
            }

            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Moves the job to failed. Returns false when it was already terminal.</summary>
    public async Task<bool> CompleteFailedAsync(ImageGenerationFailed outcome, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await CompleteAsync(connection, transaction, outcome.JobId, outcome.Attempt, JobStatus.Failed, outcome.ErrorCode, outcome.ErrorMessage, outcome.StartedAt, outcome.CompletedAt, cancellationToken))
        {
            return false;
        }

        await RecordAttemptAsync(connection, transaction, outcome.JobId, outcome.Attempt, JobStatus.Failed, outcome.StartedAt, outcome.CompletedAt,
            outcome.ErrorCode, outcome.ErrorMessage, outcome.Retryable, outcome.CostUsd, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>What the orchestrator needs to decide where a failed job goes next.</summary>
    public async Task<JobRouting?> GetRoutingAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT j.request, j.provider, j.model, j.attempts,
                   (SELECT count(*) FROM job_attempts a WHERE a.job_id = j.id AND a.provider = j.provider AND a.model = j.model)
            FROM jobs j WHERE j.id = $1
            """);
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new JobRouting(JsonSerializer.Deserialize<JobRequest>(reader.GetString(0), Json)!, reader.GetString(1), reader.GetString(2), reader.GetInt32(3), (int)reader.GetInt64(4))
            : null;
    }

    /// <summary>
    /// Ends the failed attempt and schedules the next one on <paramref name="route"/> (the same provider again, or the
    /// next of its fallback chain) <paramref name="delay"/> from now: the job is queued again and its command waits in the
    /// outbox until due, so a crash meanwhile loses nothing. False when the job has moved on (canceled, already ended,
    /// or this outcome is a stale one of an older attempt).
    /// </summary>
    public async Task<bool> ScheduleAttemptAsync(ImageGenerationFailed outcome, JobRoute route, TimeSpan delay, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var next = outcome.Attempt + 1;
        var due = now + delay;
        GenerateImage? command = null;
        // A caller's own key is sealed for one provider: it goes along only while the job stays with that provider.
        await using (var requeue = new NpgsqlCommand("""
            UPDATE jobs SET status = 'queued', attempts = $2, updated_at = $3, provider = $5, model = $6,
                            sealed_credential = CASE WHEN provider = $5 THEN sealed_credential END
            WHERE id = $1 AND status IN ('queued', 'running') AND attempts <= $4
            RETURNING owner, created_at, sealed_credential
            """, connection, transaction))
        {
            requeue.Parameters.AddWithValue(outcome.JobId);
            requeue.Parameters.AddWithValue(next);
            requeue.Parameters.AddWithValue(now);
            requeue.Parameters.AddWithValue(outcome.Attempt);
            requeue.Parameters.AddWithValue(route.Provider);
            requeue.Parameters.AddWithValue(route.Model);
            await using var reader = await requeue.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                command = JobCommands.For(outcome.JobId, next, reader.GetString(0), route.Provider, route.Model, route.Request,
                    reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetString(2));
            }
        }

        if (command is null)
        {
            return false;
        }

        await RecordAttemptAsync(connection, transaction, outcome.JobId, outcome.Attempt, JobStatus.Failed, outcome.StartedAt, outcome.CompletedAt,
            outcome.ErrorCode, outcome.ErrorMessage, outcome.Retryable, outcome.CostUsd, cancellationToken);
        await AddAttemptAsync(connection, transaction, command, due, cancellationToken);
        await OutboxWriter.EnqueueAsync(connection, transaction, ProviderQueues.For(command.Provider), command, cancellationToken, due);
        await transaction.CommitAsync(cancellationToken);
        if (delay <= TimeSpan.Zero)
        {
            outboxSignal.Notify();
        }

        return true;
    }

    /// <summary>
    /// Starts a new attempt of a failed or canceled job, at once. <paramref name="sealedCredential"/> is the caller's own key
    /// sealed for this job, when the job was made with one. Null when the job is not the caller's or has not ended that way.
    /// </summary>
    public async Task<int?> RetryAsync(Guid id, string owner, string? sealedCredential, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        GenerateImage? command = null;
        await using (var requeue = new NpgsqlCommand("""
            UPDATE jobs SET status = 'queued', attempts = attempts + 1, error_code = NULL, error_message = NULL, completed_at = NULL,
                            updated_at = $3, sealed_credential = $4
            WHERE id = $1 AND owner = $2 AND status IN ('failed', 'canceled')
            RETURNING attempts, provider, model, request, created_at
            """, connection, transaction))
        {
            requeue.Parameters.AddWithValue(id);
            requeue.Parameters.AddWithValue(owner);
            requeue.Parameters.AddWithValue(now);
            requeue.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)sealedCredential ?? DBNull.Value });
            await using var reader = await requeue.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var (provider, model) = (reader.GetString(1), reader.GetString(2));
                var request = JsonSerializer.Deserialize<JobRequest>(reader.GetString(3), Json)!;
                // Again where the job last ran: after a fallback that is a later route, translated for its provider.
                var route = request.RoutesOrSelf(provider, model).FirstOrDefault(r => r.Provider == provider && r.Model == model)?.Request ?? request;
                command = JobCommands.For(id, reader.GetInt32(0), owner, provider, model, route, reader.GetFieldValue<DateTimeOffset>(4), sealedCredential);
            }
        }

        if (command is null)
        {
            return null;
        }

        await AddAttemptAsync(connection, transaction, command, now, cancellationToken);
        await OutboxWriter.EnqueueAsync(connection, transaction, ProviderQueues.For(command.Provider), command, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outboxSignal.Notify();
        return command.Attempt;
    }

    /// <summary>Whether the job was made with the caller's own provider key (a retry needs it sent again).</summary>
    public async Task<bool> UsedOwnKeyAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT own_key FROM jobs WHERE id = $1");
        command.Parameters.AddWithValue(id);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static async Task AddAttemptAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, GenerateImage command, DateTimeOffset scheduledAt, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO job_attempts (job_id, attempt, provider, model, status, scheduled_at) VALUES ($1, $2, $3, $4, 'queued', $5) ON CONFLICT DO NOTHING",
            connection, transaction);
        insert.Parameters.AddWithValue(command.JobId);
        insert.Parameters.AddWithValue(command.Attempt);
        insert.Parameters.AddWithValue(command.Provider);
        insert.Parameters.AddWithValue(command.Model);
        insert.Parameters.AddWithValue(scheduledAt);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task RecordAttemptAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid jobId, int attempt, string status, DateTimeOffset startedAt, DateTimeOffset completedAt,
        string? errorCode, string? errorMessage, bool? retryable, decimal? costUsd, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand("""
            UPDATE job_attempts SET status = $3, started_at = COALESCE(started_at, $4), completed_at = $5,
                                    error_code = $6, error_message = $7, retryable = $8, cost_usd = $9
            WHERE job_id = $1 AND attempt = $2 AND status IN ('queued', 'running')
            """, connection, transaction);
        update.Parameters.AddWithValue(jobId);
        update.Parameters.AddWithValue(attempt);
        update.Parameters.AddWithValue(status);
        update.Parameters.AddWithValue(startedAt);
        update.Parameters.AddWithValue(completedAt);
        update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)errorCode ?? DBNull.Value });
        update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)errorMessage ?? DBNull.Value });
        update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Boolean, Value = (object?)retryable ?? DBNull.Value });
        update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Numeric, Value = (object?)costUsd ?? DBNull.Value });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<bool> CompleteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, int attempt, string status,
        string? errorCode, string? errorMessage, DateTimeOffset startedAt, DateTimeOffset completedAt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE jobs SET status = $2, attempts = GREATEST(attempts, $3), error_code = $4, error_message = $5,
                            started_at = COALESCE(started_at, $6), completed_at = $7, updated_at = now(), sealed_credential = NULL
            WHERE id = $1 AND status IN ('queued', 'running') AND attempts <= $3
            """, connection, transaction);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(status);
        command.Parameters.AddWithValue(attempt);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)errorCode ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)errorMessage ?? DBNull.Value });
        command.Parameters.AddWithValue(startedAt);
        command.Parameters.AddWithValue(completedAt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<Dictionary<Guid, JobCallback>> ReadCallbacksAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        var deliveries = new Dictionary<Guid, List<CallbackDelivery>>();
        await using (var query = dataSource.CreateCommand(
            "SELECT job_id, delivery, event, attempted_at, status_code, error, duration_ms FROM callback_deliveries WHERE job_id = ANY($1) ORDER BY job_id, delivery"))
        {
            query.Parameters.AddWithValue(ids);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var jobId = reader.GetGuid(0);
                if (!deliveries.TryGetValue(jobId, out var list))
                {
                    deliveries[jobId] = list = [];
                }

                list.Add(new CallbackDelivery(reader.GetInt32(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6)));
            }
        }

        var callbacks = new Dictionary<Guid, JobCallback>();
        await using (var query = dataSource.CreateCommand(
            "SELECT job_id, url, event, status, attempts, delivered_at, next_attempt_at FROM job_callbacks WHERE job_id = ANY($1)"))
        {
            query.Parameters.AddWithValue(ids);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var jobId = reader.GetGuid(0);
                var status = reader.GetString(3);
                callbacks[jobId] = new JobCallback(reader.GetString(1), reader.GetString(2), status, reader.GetInt32(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    status == "pending" ? reader.GetFieldValue<DateTimeOffset>(6) : null,
                    deliveries.GetValueOrDefault(jobId) ?? []);
            }
        }

        return callbacks;
    }

    private async Task<List<Job>> ReadJobsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var jobs = new List<Job>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var errorCode = reader.IsDBNull(7) ? null : reader.GetString(7);
                jobs.Add(new Job(
                    Id: reader.GetGuid(0),
                    Owner: reader.GetString(1),
                    Status: reader.GetString(2),
                    Provider: reader.GetString(3),
                    Model: reader.GetString(4),
                    Request: JsonSerializer.Deserialize<JobRequest>(reader.GetString(5), Json)!,
                    Attempts: reader.GetInt32(6),
                    Error: errorCode is null ? null : new JobError(errorCode, reader.IsDBNull(8) ? string.Empty : reader.GetString(8)),
                    CreatedAt: reader.GetFieldValue<DateTimeOffset>(9),
                    UpdatedAt: reader.GetFieldValue<DateTimeOffset>(10),
                    StartedAt: reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
                    CompletedAt: reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                    Images: [],
                    ResultWarnings: reader.GetFieldValue<string[]>(13),
                    DeadlineAt: reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14)));
            }
        }

        if (jobs.Count == 0)
        {
            return jobs;
        }

        var attempts = new Dictionary<Guid, List<JobAttempt>>();
        await using (var attemptQuery = dataSource.CreateCommand("""
            SELECT job_id, attempt, provider, model, status, scheduled_at, started_at, completed_at, error_code, error_message, retryable, cost_usd
            FROM job_attempts WHERE job_id = ANY($1) ORDER BY job_id, attempt
            """))
        {
            attemptQuery.Parameters.AddWithValue(jobs.Select(j => j.Id).ToArray());
            await using var reader = await attemptQuery.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var jobId = reader.GetGuid(0);
                if (!attempts.TryGetValue(jobId, out var list))
                {
                    attempts[jobId] = list = [];
                }

                list.Add(new JobAttempt(
                    reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                    reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                    reader.IsDBNull(8) ? null : new JobError(reader.GetString(8), reader.IsDBNull(9) ? string.Empty : reader.GetString(9)),
                    reader.IsDBNull(10) ? null : reader.GetBoolean(10),
                    reader.IsDBNull(11) ? null : reader.GetDecimal(11)));
            }
        }

        jobs = jobs.Select(j => attempts.TryGetValue(j.Id, out var list) ? j with { AttemptHistory = list } : j).ToList();
        var withCallbacks = jobs.Where(j => j.Request.CallbackUrl is not null).Select(j => j.Id).ToArray();
        if (withCallbacks.Length > 0)
        {
            var callbacks = await ReadCallbacksAsync(withCallbacks, cancellationToken);
            jobs = jobs.Select(j => callbacks.TryGetValue(j.Id, out var callback) ? j with { Callback = callback } : j).ToList();
        }

        var succeeded = jobs.Where(j => j.Status == JobStatus.Succeeded).Select(j => j.Id).ToArray();
        if (succeeded.Length == 0)
        {
            return jobs;
        }

        var images = new Dictionary<Guid, List<JobImage>>();
        await using (var imageQuery = dataSource.CreateCommand(
            "SELECT job_id, index, storage_key, width, height, content_type, bytes, sha256 FROM job_images WHERE job_id = ANY($1) ORDER BY job_id, index"))
        {
            imageQuery.Parameters.AddWithValue(succeeded);
            await using var reader = await imageQuery.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var jobId = reader.GetGuid(0);
                if (!images.TryGetValue(jobId, out var list))
                {
                    images[jobId] = list = [];
                }

                list.Add(new JobImage(reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetString(5), reader.GetInt64(6), reader.GetString(7)));
            }
        }

        return jobs.Select(j => images.TryGetValue(j.Id, out var list) ? j with { Images = list } : j).ToList();
    }
}
