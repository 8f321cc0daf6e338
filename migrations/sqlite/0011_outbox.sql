-- The mail outbox (docs/decisions/018): every email the service owes somebody, derived
-- from an event by the mail worker in the same transaction as its checkpoint, and
-- delivered by the sender with retries. Never a read model: a replay leaves it alone.
CREATE TABLE mail_outbox
(
    id              integer PRIMARY KEY AUTOINCREMENT,
    -- what caused it: the event's position in the log, the address, the kind of mail;
    -- one event yields each of its mails once
    position        bigint NOT NULL,
    recipient       text   NOT NULL,
    kind            text   NOT NULL,
    -- ru or en
    language        text   NOT NULL,
    order_id        text,
    -- what the templates need (JSON; no secrets: a password is derived when it is sent)
    params          text   NOT NULL,
    -- files attached (JSON: [{sha256, name, content_type}]), read from the file store
    attachments     text   NOT NULL,
    message_id      text   NOT NULL,
    -- pending, sent or failed
    status          text   NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    last_error      text,
    created_at      text   NOT NULL,
    next_attempt_at text   NOT NULL,
    -- a sender working on it until then (its round's claim); another takes it only after
    claimed_until   text,
    claim           text,
    sent_at         text,
    UNIQUE (position, recipient, kind)
);
-- The sender claims the oldest pending rows, the admin lists the failed ones: each walks
-- its partial index in id order (a backlog is not sorted at every claim), and a row that
-- is sent leaves both (most rows are sent: they are found by the primary key).
CREATE INDEX mail_outbox_pending ON mail_outbox (id) WHERE status = 'pending';
CREATE INDEX mail_outbox_failed ON mail_outbox (id) WHERE status = 'failed';

-- Keys the service generates once and keeps (the initial passwords' key when
-- SCRIPTORIUM_CREDENTIALS_SECRET is unset).
CREATE TABLE service_secrets
(
    name       text PRIMARY KEY,
    value      text NOT NULL,
    created_at text NOT NULL
);

-- The mail worker starts where the log is now: what happened before mail existed is
-- not mailed (a deployment's whole history would be).
INSERT INTO projection_checkpoints (name, tx, position, updated_at)
SELECT 'process:mail', 0, position, ''
FROM events
ORDER BY position DESC
LIMIT 1
ON CONFLICT (name) DO NOTHING;
