ALTER TABLE schedules DROP COLUMN steps;
DROP INDEX logs_run_id;
ALTER TABLE logs DROP COLUMN run_id;
