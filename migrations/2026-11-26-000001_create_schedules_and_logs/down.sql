DROP TABLE logs;
DROP TABLE schedules;
