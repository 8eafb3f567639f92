-- /api/stats reads every row of a time window (per day, per schedule, per container). One index
-- that covers those columns turns each of its queries into a range scan of the index alone,
-- without a lookup into the table per row: measured over a million rows in BENCHMARKS.md.
CREATE INDEX logs_stats ON logs (timestamp, schedule_id, status, duration_ms, action, "trigger", container_name);
