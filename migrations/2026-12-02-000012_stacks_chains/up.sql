-- One run (a stack action, a chain) writes one log row per step; `run_id` links them. Rows of a
-- single action have none.
ALTER TABLE logs ADD COLUMN run_id TEXT;
CREATE INDEX logs_run_id ON logs (run_id) WHERE run_id IS NOT NULL;

-- A schedule may hold ordered steps instead of one target: their JSON (API.md's `steps`).
ALTER TABLE schedules ADD COLUMN steps TEXT;
