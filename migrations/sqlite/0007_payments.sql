-- Every payment recorded, by the provider's payment id, kept by the payments projection
-- from `PaymentReceived`: an id pays one half of one order (decision 015).
-- Refunds and the author's compensation on the order table.
-- Portable types only (the same text serves both backends).
CREATE TABLE payments
(
    payment_id  text PRIMARY KEY,
    order_id    text   NOT NULL,
    half        text   NOT NULL,
    amount      bigint NOT NULL,
    -- the PaymentReceived event's position in the log
    position    bigint NOT NULL,
    -- RFC 3339
    received_at text   NOT NULL
);
CREATE INDEX payments_order ON payments (order_id);

ALTER TABLE order_list ADD COLUMN refunded bigint NOT NULL DEFAULT 0;
ALTER TABLE order_list ADD COLUMN compensation bigint;
