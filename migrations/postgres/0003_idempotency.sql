-- Idempotency keys (docs/decisions/003-idempotency-keys.md): the first answer to a POST
-- carrying `Idempotency-Key`, per caller scope (`user:<id>` or `anonymous`).
-- Portable types only (the same text serves SQLite): times as RFC 3339 text.
CREATE TABLE idempotency_keys
(
    scope         text   NOT NULL,
    key           text   NOT NULL,
    -- hex SHA-256 of the method, path and body of the first request
    fingerprint   text   NOT NULL,
    state         text   NOT NULL CHECK (state IN ('in_progress', 'done')),
    -- who holds an in-progress claim: only that request may complete or release it
    claim_id      text   NOT NULL,
    -- the stored answer, once done
    status        bigint,
    content_type  text,
    body          text,
    body_encoding text CHECK (body_encoding IN ('utf-8', 'base64')),
    created_at    text   NOT NULL,
    -- when the current claim was taken; an in-progress claim older than the timeout is abandoned
    claimed_at    text   NOT NULL,
    completed_at  text,
    PRIMARY KEY (scope, key)
);
