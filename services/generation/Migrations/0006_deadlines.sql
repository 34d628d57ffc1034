-- Every accepted job ends by its deadline: a sweeper fails (with timeout) whatever is still queued or
-- running past it, however its attempts were lost.
ALTER TABLE jobs ADD COLUMN deadline_at timestamptz;
UPDATE jobs SET deadline_at = created_at + interval '1 hour' WHERE status IN ('queued', 'running');
CREATE INDEX jobs_active_deadline ON jobs (deadline_at) WHERE status IN ('queued', 'running');
