-- The log's trigger and status lists grow with each feature (window, health and gave_up for rules,
-- label for labels), and SQLite cannot alter a CHECK: the table is rebuilt without those two, and
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
    host TEXT NOT NULL DEFAULT 'local',
    run_id TEXT
);
INSERT INTO logs_new (id, schedule_id, container_name, container_id, action, "trigger", status, message,
                      duration_ms, timestamp, requested_by, legacy_id, host, run_id)
    SELECT id, schedule_id, container_name, container_id, action, "trigger", status, message,
           duration_ms, timestamp, requested_by, legacy_id, host, run_id FROM logs;
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
CREATE INDEX logs_run_id ON logs (run_id) WHERE run_id IS NOT NULL;
