-- The orders' conversations (docs/decisions/022): one row per message, as its
-- MessagePosted said, and where it stands now. A read model: replay rebuilds it.
CREATE TABLE order_messages
(
    message_id   text   NOT NULL PRIMARY KEY,
    order_id     text   NOT NULL,
    -- the MessagePosted event's place in the log (the conversation's order)
    position     bigint NOT NULL,
    at           text   NOT NULL,
    -- the sender's role: client, author, manager or admin
    by_role      text   NOT NULL,
    sender_id    text   NOT NULL,
    text         text   NOT NULL,
    -- visible, held (for the manager's approval) or rejected
    status       text   NOT NULL,
    -- what a held message seemed to carry: email, phone, link or handle
    held_for     text,
    moderated_at text,
    reason       text
);
CREATE INDEX order_messages_by_order ON order_messages (order_id, position);
-- The managers' queue of held messages: a few rows among many.
CREATE INDEX order_messages_held ON order_messages (position) WHERE status = 'held';

-- Which message each recipient has been told of by the message digest (the worker
-- message-digest writes it with the digest's outbox row and its checkpoint): a digest
-- never repeats a message to anyone, however its rounds are cut or repeated. Not a read
-- model: a replay leaves it alone.
CREATE TABLE message_notices
(
    message_id   text   NOT NULL,
    recipient_id text   NOT NULL,
    -- the event that made the message known to them (posted, or approved)
    position     bigint NOT NULL,
    PRIMARY KEY (message_id, recipient_id)
);

-- The digest starts where the log is now: no conversation existed before.
INSERT INTO projection_checkpoints (name, tx, position, updated_at)
SELECT 'process:message-digest', 0, position, ''
FROM events
ORDER BY position DESC
LIMIT 1
ON CONFLICT (name) DO NOTHING;
