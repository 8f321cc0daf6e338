-- Password resets by an emailed one-time link (issue 17, docs/decisions/030). Only the
-- SHA-256 of a link's token is kept; a row is spent once (`used_at`), and every other
-- row of its user is spent with it, or when the password changes otherwise. Operational
-- state like `sessions` and `login_failures`: not a read model, nothing replays it.
CREATE TABLE password_resets
(
    token_hash text PRIMARY KEY,
    user_id    text NOT NULL,
    created_at text NOT NULL,
    expires_at text NOT NULL,
    used_at    text
);
CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;
