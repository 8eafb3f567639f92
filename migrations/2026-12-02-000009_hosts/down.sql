ALTER TABLE schedules DROP COLUMN service;
DROP TABLE service_replicas;
DROP TABLE hosts;
