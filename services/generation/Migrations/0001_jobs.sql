-- Jobs: one row per generation request. The request is kept whole (as normalised and applied) so a
-- job can always be explained and retried; the columns beside it are what queries filter on.
CREATE TABLE jobs (
    id             uuid PRIMARY KEY,
    owner          text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    provider       text        NOT NULL,
    model          text        NOT NULL,
    request        jsonb       NOT NULL,
    attempts       integer     NOT NULL DEFAULT 0,
    error_code     text,
    error_message  text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    started_at     timestamptz,
    completed_at   timestamptz
);

-- Listing is always per owner, newest first, with (created_at, id) as the cursor.
CREATE INDEX jobs_owner_created ON jobs (owner, created_at DESC, id DESC);

CREATE TABLE job_images (
    job_id        uuid    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    index         integer NOT NULL,
    storage_key   text    NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    content_type  text    NOT NULL,
    bytes         bigint  NOT NULL,
    sha256        text    NOT NULL,
    PRIMARY KEY (job_id, index)
);

-- Transactional outbox: a command is written in the same transaction as its job and sent to the
-- broker afterwards, so an accepted job is never lost between the database and RabbitMQ.
CREATE TABLE outbox (
    id            bigserial   PRIMARY KEY,
    destination   text        NOT NULL,
    message_type  text        NOT NULL,
    payload       jsonb       NOT NULL,
    -- W3C traceparent of the request that wrote the row: the trace carries on past the outbox.
    trace_parent  text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
