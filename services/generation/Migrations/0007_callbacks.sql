-- callback_url: when a job that asked for one ends, a signed POST goes to it. The row is written by a trigger in
-- the transaction that ends the job, so no way of ending a job can forget it, and a crash loses no callback.
CREATE TABLE job_callbacks (
    job_id           uuid        PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    url              text        NOT NULL,
    event            text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    delivered_at     timestamptz
);

CREATE INDEX job_callbacks_due ON job_callbacks (next_attempt_at) WHERE status = 'pending';

-- Every try, for the job's view: when, what came back.
CREATE TABLE callback_deliveries (
    job_id        uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    delivery      integer     NOT NULL,
    event         text        NOT NULL,
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    error         text,
    duration_ms   integer,
    PRIMARY KEY (job_id, delivery)
);

CREATE FUNCTION queue_job_callback() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('succeeded', 'failed', 'canceled') AND NEW.status IS DISTINCT FROM OLD.status
       AND NEW.request ->> 'callback_url' IS NOT NULL THEN
        -- A job retried by hand and ended again notifies again.
        INSERT INTO job_callbacks (job_id, url, event, status, attempts, next_attempt_at)
        VALUES (NEW.id, NEW.request ->> 'callback_url', 'job.' || NEW.status, 'pending', 0, now())
        ON CONFLICT (job_id) DO UPDATE SET url = EXCLUDED.url, event = EXCLUDED.event, status = 'pending', attempts = 0,
                                           next_attempt_at = now(), delivered_at = NULL;
        PERFORM pg_notify('job_callbacks', NEW.id::text);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER jobs_queue_callback AFTER UPDATE OF status ON jobs FOR EACH ROW EXECUTE FUNCTION queue_job_callback();
