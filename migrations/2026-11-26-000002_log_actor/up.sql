-- Who asked for a manual action: a user's or an API token's name (null for the scheduler).
ALTER TABLE logs ADD COLUMN actor TEXT;
