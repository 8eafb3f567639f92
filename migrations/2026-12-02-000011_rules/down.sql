DROP TABLE autoheal_containers;
DROP TABLE autoheal_settings;
DROP TABLE window_marks;
-- a window's row would become a daily stop at its opening: it goes with the window
DELETE FROM schedules WHERE time_window IS NOT NULL;
ALTER TABLE schedules DROP COLUMN time_window;
ALTER TABLE schedules DROP COLUMN respect_manual;
ALTER TABLE schedules DROP COLUMN only_if;
