-- One row per attempt outcome. (job_id, attempt) is the natural key of an outcome: the bus delivers
-- at least once, so a redelivered event must land on the same key and be ignored.
CREATE TABLE generation_outcomes (
    job_id        uuid        NOT NULL,
    attempt       integer     NOT NULL,
    owner         text        NOT NULL,
    provider      text        NOT NULL,
    model         text        NOT NULL,
    succeeded     boolean     NOT NULL,
    error_code    text        NULL,
    image_count   integer     NOT NULL,
    bytes         bigint      NOT NULL,
    requested_at  timestamptz NOT NULL,
    started_at    timestamptz NOT NULL,
    completed_at  timestamptz NOT NULL,
    -- Time the provider took (completed - started) and time the caller waited (completed - requested).
    latency_ms    bigint      NOT NULL,
    total_ms      bigint      NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_generation_outcomes PRIMARY KEY (job_id, attempt),
    CONSTRAINT ck_generation_outcomes_error_code CHECK (succeeded = (error_code IS NULL)),
    CONSTRAINT ck_generation_outcomes_counts CHECK (image_count >= 0 AND bytes >= 0 AND latency_ms >= 0 AND total_ms >= 0)
);

-- Every statistics query is a window over completion time, optionally for one owner.
CREATE INDEX ix_generation_outcomes_completed_at ON generation_outcomes (completed_at);
CREATE INDEX ix_generation_outcomes_owner_completed_at ON generation_outcomes (owner, completed_at);
