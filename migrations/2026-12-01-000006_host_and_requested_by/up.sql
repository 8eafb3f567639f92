-- Every schedule and every log entry names its Docker host. There is one host, `local` (the one
-- from DOCKER_HOST), until hosts can be added; rows written before this migration were on it.
ALTER TABLE schedules ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
ALTER TABLE logs ADD COLUMN host TEXT NOT NULL DEFAULT 'local';

-- `actor` held who asked for an action (a user, `token:<name>`, or null for the scheduler).
ALTER TABLE logs RENAME COLUMN actor TO requested_by;

-- Log rows are read back as typed actions now. Only the legacy import ever wrote a word that is not
-- an action (the original's own, e.g. "remove"), and the original restarted whatever it said.
UPDATE logs SET action = 'restart' WHERE action NOT IN ('start', 'stop', 'restart', 'pause', 'unpause');
