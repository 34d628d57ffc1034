-- Idempotency-Key on job submission: a client that retries a POST (timeout, dropped connection) gets
-- the job it already created instead of a second one, which would be generated and paid for twice.
-- The fingerprint tells a retry (same request) from a reused key (a different one: 409).
CREATE TABLE idempotency_keys (
    owner        text        NOT NULL,
    key          text        NOT NULL,
    fingerprint  text        NOT NULL,
    job_id       uuid        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (owner, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
