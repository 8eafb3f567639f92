-- Every API token belongs to a user and never has more rights than that user has now (checked on
-- every request). No foreign key: deleting a user revokes its tokens in the same transaction
-- (store::users), and user ids are never reused (AUTOINCREMENT), so a token whose user is gone can
-- match no one; a plain column can also be dropped again.
ALTER TABLE api_tokens ADD COLUMN user_id INTEGER;

-- Existing tokens belong to the user who made them, found by name (the column compares without
-- case), else to the first admin.
UPDATE api_tokens SET user_id = (SELECT id FROM users WHERE users.username = api_tokens.created_by)
    WHERE created_by IS NOT NULL;
UPDATE api_tokens SET user_id = (SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1)
    WHERE user_id IS NULL;

CREATE INDEX api_tokens_user_id ON api_tokens (user_id);
