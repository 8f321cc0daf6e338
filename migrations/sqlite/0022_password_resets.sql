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

-- Each request for a link, kept from before its answer until the link's mail is queued (or
-- the email is found to be no account's): a crash in between loses no link asked for.
CREATE TABLE password_reset_requests
(
    id           text PRIMARY KEY,
    email        text NOT NULL,
    requested_at text NOT NULL
);
