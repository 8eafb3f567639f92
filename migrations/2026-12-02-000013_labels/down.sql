-- Label schedules and their log entries go; the rest is as before.
DELETE FROM schedules WHERE origin = 'label';
DELETE FROM logs WHERE "trigger" = 'label';
DROP INDEX schedules_label_key;
ALTER TABLE schedules DROP COLUMN label_changed;
ALTER TABLE schedules DROP COLUMN label_hash;
ALTER TABLE schedules DROP COLUMN label_spec;
ALTER TABLE schedules DROP COLUMN label_key;
ALTER TABLE schedules DROP COLUMN overridden;
ALTER TABLE schedules DROP COLUMN origin;
