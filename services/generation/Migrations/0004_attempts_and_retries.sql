-- Every attempt of a job, so a job shows what was tried: provider, timings, outcome and cost.
CREATE TABLE job_attempts (
    job_id         uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt        integer     NOT NULL,
    provider       text        NOT NULL,
    model          text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    -- When the command is sent: later than created_at for a retry that waits out a backoff or Retry-After.
    scheduled_at   timestamptz NOT NULL,
    started_at     timestamptz,
    completed_at   timestamptz,
    error_code     text,
    error_message  text,
    retryable      boolean,
    cost_usd       numeric(12, 6),
    PRIMARY KEY (job_id, attempt)
);

INSERT INTO job_attempts (job_id, attempt, provider, model, status, scheduled_at, started_at, completed_at, error_code, error_message)
SELECT id, GREATEST(attempts, 1), provider, model, status, created_at, started_at, completed_at, error_code, error_message FROM jobs;

-- A retry is written to the outbox when it is decided and sent when it is due.
ALTER TABLE outbox ADD COLUMN available_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX outbox_available ON outbox (available_at, id);

-- The caller's own provider key, sealed (AES-GCM, bound to the job) exactly as it went to the worker, kept only
-- while the job may still need another attempt; cleared when the job ends. own_key remembers that one was used.
ALTER TABLE jobs ADD COLUMN sealed_credential text;
ALTER TABLE jobs ADD COLUMN own_key boolean NOT NULL DEFAULT false;
