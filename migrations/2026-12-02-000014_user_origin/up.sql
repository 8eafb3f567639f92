-- Where a user comes from: `local` (a password made here), `oidc` (created at a first sign-in
-- through the OpenID provider) or `proxy` (forward auth behind a trusted reverse proxy). `subject`
-- is the provider's `sub` (or the proxy's user name): an outside identity is matched on it, never
-- on a user name alone, so a provider account named like a local user cannot become that user.
ALTER TABLE users ADD COLUMN origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'oidc', 'proxy'));
ALTER TABLE users ADD COLUMN subject TEXT;
CREATE UNIQUE INDEX users_origin_subject ON users (origin, subject) WHERE subject IS NOT NULL;
