-- Notification channels: a name, a URL in the shoutrrr grammar (secrets inside it, never shown
-- back), the run statuses it wants (comma-separated words) and an on/off switch.
CREATE TABLE channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    url TEXT NOT NULL,
    events TEXT NOT NULL DEFAULT 'error,missed,gave_up',
    enabled BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One row per message handed to a channel, updated as its attempts go; pruned with the logs.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    log_id INTEGER,
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'retrying')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    timestamp TIMESTAMP NOT NULL
);
CREATE INDEX deliveries_timestamp ON deliveries (timestamp);
CREATE INDEX deliveries_channel_id ON deliveries (channel_id);

-- A schedule may opt out of notifications (API.md `notify`).
ALTER TABLE schedules ADD COLUMN notify BOOLEAN NOT NULL DEFAULT 1;
