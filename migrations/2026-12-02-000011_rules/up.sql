-- Rules beyond the clock (issue 15).

-- A schedule's guard: the state its container must be in when it fires, and whether it leaves
-- alone a container someone stopped or paused outside Chrontainer.
ALTER TABLE schedules ADD COLUMN only_if TEXT CHECK (only_if IN ('running', 'stopped', 'healthy', 'unhealthy'));
ALTER TABLE schedules ADD COLUMN respect_manual BOOLEAN NOT NULL DEFAULT 1;
-- A time window ({"state","from","to","days"} as JSON; the zone is `timezone`). The table's
-- CHECK wants a cron or a run_at, and SQLite cannot change a CHECK without rebuilding a table
-- that every feature adds columns to: a window's row keeps the cron of its opening in
-- cron_expression, and the WatchActor, not the SchedulerActor, acts on it.
ALTER TABLE schedules ADD COLUMN time_window TEXT;

-- What a window did to its container, so that its end restores only what it changed, and until
-- when a person's start inside it is respected.
CREATE TABLE window_marks (
    schedule_id INTEGER PRIMARY KEY NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    changed BOOLEAN NOT NULL DEFAULT 0,
    overridden_until TIMESTAMP
);

-- The autoheal rule set: one row of defaults, and the containers that opted in or out.
CREATE TABLE autoheal_settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    enabled BOOLEAN NOT NULL,
    after_s INTEGER NOT NULL,
    max_restarts INTEGER NOT NULL,
    per_minutes INTEGER NOT NULL
);
CREATE TABLE autoheal_containers (
    host TEXT NOT NULL,
    container TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    after_s INTEGER,
    max_restarts INTEGER,
    PRIMARY KEY (host, container)
);

-- The log's trigger and status lists grow with each feature (window, health, gave_up here; label,
-- chains elsewhere), and SQLite cannot alter a CHECK: the table is rebuilt without those two, and
-- the typed columns (store/columns.rs) refuse a word the code does not know when it is read.
CREATE TABLE logs_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    schedule_id INTEGER,
    container_name TEXT NOT NULL,
    container_id TEXT,
    action TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0,
    timestamp TIMESTAMP NOT NULL,
    requested_by TEXT,
    legacy_id INTEGER,
    host TEXT NOT NULL DEFAULT 'local'
);
INSERT INTO logs_new (id, schedule_id, container_name, container_id, action, "trigger", status, message,
                      duration_ms, timestamp, requested_by, legacy_id, host)
    SELECT id, schedule_id, container_name, container_id, action, "trigger", status, message,
           duration_ms, timestamp, requested_by, legacy_id, host FROM logs;
DROP TABLE logs;
ALTER TABLE logs_new RENAME TO logs;
CREATE INDEX logs_timestamp ON logs (timestamp);
CREATE INDEX logs_container_name_id ON logs (container_name, id);
CREATE INDEX logs_schedule_id_id ON logs (schedule_id, id);
CREATE INDEX logs_status_id ON logs (status, id);
CREATE INDEX logs_action_id ON logs (action, id);
CREATE INDEX logs_trigger_id ON logs ("trigger", id);
CREATE UNIQUE INDEX logs_legacy_id ON logs (legacy_id) WHERE legacy_id IS NOT NULL;
CREATE INDEX logs_status_timestamp ON logs (status, timestamp);
CREATE INDEX logs_container_name_status_id ON logs (container_name, status, id);
CREATE INDEX logs_stats ON logs (timestamp, schedule_id, status, duration_ms, action, "trigger", container_name);
