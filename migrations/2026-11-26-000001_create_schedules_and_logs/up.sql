-- Schedules name their target by container name (and compose project + service when the container
-- has those labels); container_id is only the last one seen, for display.
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    container_name TEXT NOT NULL,
    container_id TEXT,
    compose_project TEXT,
    compose_service TEXT,
    action TEXT NOT NULL CHECK (action IN ('start', 'stop', 'restart', 'pause', 'unpause')),
    cron_expression TEXT,
    run_at TIMESTAMP,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    enabled BOOLEAN NOT NULL DEFAULT 1,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_run TIMESTAMP,
    last_status TEXT,
    next_run TIMESTAMP,
    CHECK ((cron_expression IS NULL) <> (run_at IS NULL))
);
-- The scheduler reloads enabled schedules; the dashboard lists what comes up next.
CREATE INDEX schedules_enabled_next_run ON schedules (enabled, next_run);
CREATE INDEX schedules_container_name ON schedules (container_name);

-- The activity log. schedule_id is kept (no foreign key) when its schedule is deleted.
CREATE TABLE logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    schedule_id INTEGER,
    container_name TEXT NOT NULL,
    container_id TEXT,
    action TEXT NOT NULL,
    "trigger" TEXT NOT NULL CHECK ("trigger" IN ('manual', 'schedule', 'run_now')),
    status TEXT NOT NULL CHECK (status IN ('success', 'error', 'skipped', 'missed')),
    message TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0,
    timestamp TIMESTAMP NOT NULL
);
-- The logs page pages by id (newest first) under each filter; the pruner deletes by time.
CREATE INDEX logs_timestamp ON logs (timestamp);
CREATE INDEX logs_container_name_id ON logs (container_name, id);
CREATE INDEX logs_schedule_id_id ON logs (schedule_id, id);
CREATE INDEX logs_status_id ON logs (status, id);
CREATE INDEX logs_action_id ON logs (action, id);
CREATE INDEX logs_trigger_id ON logs ("trigger", id);
