DROP INDEX logs_stats;
