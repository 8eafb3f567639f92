-- /api/stats and the dashboard's sparklines count whole UTC days. This roll-up holds, per day,
-- the runs of each combination the statistics group by, kept in the same transaction as every
-- log row (store/logs.rs), so that a 30-day window reads a few thousand rows instead of every
-- entry. `schedule_id` 0 stands for "no schedule" (a key column cannot be NULL); `last_at` is the
-- newest entry's timestamp (the last failure of a schedule).
CREATE TABLE log_days (
    day TEXT NOT NULL,
    host TEXT NOT NULL,
    schedule_id INTEGER NOT NULL,
    container_name TEXT NOT NULL,
    action TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    status TEXT NOT NULL,
    runs BIGINT NOT NULL,
    last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (day, host, schedule_id, container_name, action, "trigger", status)
) WITHOUT ROWID;

INSERT INTO log_days (day, host, schedule_id, container_name, action, "trigger", status, runs, last_at)
SELECT substr(timestamp, 1, 10), host, COALESCE(schedule_id, 0), container_name, action, "trigger", status,
       COUNT(*), MAX(timestamp)
FROM logs GROUP BY 1, 2, 3, 4, 5, 6, 7;
