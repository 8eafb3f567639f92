-- Rows brought over by `chrontainer import-legacy` remember their row id in the original Python
-- Chrontainer's database, so that importing the same database again creates nothing new.
ALTER TABLE schedules ADD COLUMN legacy_id INTEGER;
ALTER TABLE logs ADD COLUMN legacy_id INTEGER;
CREATE UNIQUE INDEX schedules_legacy_id ON schedules (legacy_id) WHERE legacy_id IS NOT NULL;
CREATE UNIQUE INDEX logs_legacy_id ON logs (legacy_id) WHERE legacy_id IS NOT NULL;
