DROP INDEX users_origin_subject;
ALTER TABLE users DROP COLUMN subject;
ALTER TABLE users DROP COLUMN origin;
