-- The actions rewritten to 'restart' stay so: the original's words are not kept anywhere.
ALTER TABLE logs RENAME COLUMN requested_by TO actor;
ALTER TABLE logs DROP COLUMN host;
ALTER TABLE schedules DROP COLUMN host;
