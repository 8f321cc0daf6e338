-- The event log (shape of postgres-es's table) plus the global order of the log:
-- `position` is taken at insert, `tx_id` is the writing transaction, and the feed reads
-- in (tx_id, position) order only below the oldest running transaction, so an event
-- committed late is never skipped (docs/decisions/002-global-feed.md).
CREATE TABLE events
(
    position       bigserial                    NOT NULL UNIQUE,
    tx_id          xid8                         NOT NULL DEFAULT pg_current_xact_id(),
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
CREATE INDEX events_feed ON events (tx_id, position);

CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

CREATE SEQUENCE order_numbers;

-- Secrets stay out of events.
CREATE TABLE credentials
(
    user_id       text PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    text NOT NULL
);

CREATE TABLE sessions
(
    token_hash text PRIMARY KEY,
    user_id    text NOT NULL,
    created_at text NOT NULL,
    expires_at text NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE projection_checkpoints
(
    name       text PRIMARY KEY,
    tx         bigint NOT NULL,
    position   bigint NOT NULL,
    updated_at text   NOT NULL
);
