-- Loyalty points and referrals (issue 16, docs/decisions/026-loyalty-and-referrals.md).
-- Portable types only (the same text serves SQLite): ids as text UUIDs, times as RFC 3339 text.

-- Every entry of every client's points (the ClientPoints aggregate's read model), one row
-- per event, with the balance after it. 1 point = 1 kopeck.
CREATE TABLE client_points
(
    client_id       text   NOT NULL,
    -- the event's sequence in the client's stream, and its position in the log
    sequence        bigint NOT NULL,
    position        bigint NOT NULL,
    at              text   NOT NULL,
    -- cashback, referral, spent or returned
    kind            text   NOT NULL,
    order_id        text   NOT NULL,
    -- the invited client whose order earned a referral entry
    referred_client text,
    -- positive; a spend's is subtracted
    points          bigint NOT NULL,
    balance         bigint NOT NULL,
    PRIMARY KEY (client_id, sequence)
);

-- The points that paid part of an order's first half (0: none).
ALTER TABLE order_list ADD COLUMN points bigint NOT NULL DEFAULT 0;

-- Points issued (cashback and referral), spent and returned per day.
ALTER TABLE report_days ADD COLUMN points_issued bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN points_spent bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN points_returned bigint NOT NULL DEFAULT 0;
