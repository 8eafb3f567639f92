ALTER TABLE schedules DROP COLUMN notify;
DROP TABLE deliveries;
DROP TABLE channels;
