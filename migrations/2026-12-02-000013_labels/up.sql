-- Schedules defined by container labels (issue 17). `origin` says where a row came from; a label
-- row keeps the label job it stands for (`label_key`: the host-wide identity of the job, by
-- compose project + service or by container name, plus the job's id), the values the labels ask
-- for (`label_spec`, JSON: what "revert to the label" restores) and their hash. `overridden` rows
-- keep a person's values; `label_changed` says the labels moved on since.
ALTER TABLE schedules ADD COLUMN origin TEXT NOT NULL DEFAULT 'ui' CHECK (origin IN ('ui', 'label'));
ALTER TABLE schedules ADD COLUMN overridden BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE schedules ADD COLUMN label_key TEXT;
ALTER TABLE schedules ADD COLUMN label_spec TEXT;
ALTER TABLE schedules ADD COLUMN label_hash TEXT;
ALTER TABLE schedules ADD COLUMN label_changed BOOLEAN NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX schedules_label_key ON schedules (host, label_key) WHERE label_key IS NOT NULL;

-- A refused label and a label schedule whose container is gone are logged with trigger `label`:
-- `logs` has no CHECK on its trigger once 000016 has run, so it needs no rebuild here.
