-- What the provider said about a result without failing it (some images filtered, fewer than asked),
-- shown on the job after the warnings about adjusted parameters.
ALTER TABLE jobs ADD COLUMN result_warnings text[] NOT NULL DEFAULT '{}';
