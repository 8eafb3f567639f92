DROP INDEX logs_legacy_id;
DROP INDEX schedules_legacy_id;
ALTER TABLE logs DROP COLUMN legacy_id;
ALTER TABLE schedules DROP COLUMN legacy_id;
