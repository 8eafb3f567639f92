DROP INDEX logs_container_name_status_id;
DROP INDEX logs_status_timestamp;
