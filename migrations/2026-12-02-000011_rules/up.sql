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

-- The log's CHECKs on trigger and status are lifted by 000016, after every migration that adds a
-- column to `logs` (a database upgraded from before this one already has 000012's run_id).
