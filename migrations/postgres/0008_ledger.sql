-- The authors' ledger, the settings, and the write side's snapshots of long streams.
-- Portable types only (the same text serves SQLite): ids as text UUIDs, times as RFC 3339 text.

-- Every entry of every author's account (the AuthorAccount aggregate's read model), one
-- row per event, with the balance after it.
CREATE TABLE author_ledger
(
    author_id text   NOT NULL,
    -- the event's sequence in the account's stream, and its position in the log
    sequence  bigint NOT NULL,
    position  bigint NOT NULL,
    at        text   NOT NULL,
    -- credit, compensation or payout
    kind      text   NOT NULL,
    order_id  text,
    reference text,
    -- kopecks, positive; a payout's is subtracted
    amount    bigint NOT NULL,
    balance   bigint NOT NULL,
    PRIMARY KEY (author_id, sequence)
);

-- Each author's balance now (kopecks); the payouts due are those at or above the threshold.
CREATE TABLE author_balances
(
    author_id  text PRIMARY KEY,
    balance    bigint NOT NULL,
    entries    bigint NOT NULL,
    updated_at text   NOT NULL
);
CREATE INDEX author_balances_balance ON author_balances (balance);

-- Each setting an admin set (the Settings aggregate's read model); a setting without a row
-- has its configured default. value: an integer (kopecks, %, days, hours).
CREATE TABLE settings
(
    name       text PRIMARY KEY,
    value      bigint NOT NULL,
    changed_at text   NOT NULL,
    changed_by text
);

-- Every change of a setting, old and new value, one row per setting per event.
CREATE TABLE settings_history
(
    position   bigint NOT NULL,
    name       text   NOT NULL,
    old_value  bigint NOT NULL,
    new_value  bigint NOT NULL,
    at         text   NOT NULL,
    changed_by text,
    PRIMARY KEY (position, name)
);

-- Not a read model (a replay never touches it): the state of a long stream's aggregate as
-- of its event `sequence`, serialized, written after a commit every so many events, so a
-- command loads it and the events after it instead of the whole stream
-- (docs/decisions/016-author-ledger.md). `version` names the state's shape: a snapshot of
-- another shape is ignored (the whole stream is read).
CREATE TABLE aggregate_snapshots
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL,
    version        text   NOT NULL,
    state          text   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
