-- The director's report, kept by the reports projection: what happened to the money and
-- the orders on each day (UTC), summed per day so that any period's report is a sum over
-- a few rows whatever the history's size. Every column is a sum of event amounts, so a
-- replay in batches of any size writes the same rows (docs/decisions/017-reports.md).
-- Portable types only (the same text serves both backends).
CREATE TABLE report_days
(
    -- YYYY-MM-DD, the UTC date of the events summed
    day              text PRIMARY KEY,
    orders_placed    bigint NOT NULL DEFAULT 0,
    -- payments received (both halves, by hand or from the provider), kopecks
    payments         bigint NOT NULL DEFAULT 0,
    -- refunds recorded, kopecks
    refunds          bigint NOT NULL DEFAULT 0,
    orders_completed bigint NOT NULL DEFAULT 0,
    -- the prices of the orders completed that day (the average check's numerator)
    completed_value  bigint NOT NULL DEFAULT 0,
    orders_failed    bigint NOT NULL DEFAULT 0,
    -- credited to authors' ledgers: fees of completed orders and compensations
    author_credits   bigint NOT NULL DEFAULT 0,
    -- paid out to authors
    payouts          bigint NOT NULL DEFAULT 0,
    sla_breaches     bigint NOT NULL DEFAULT 0
);

-- The orders placed in a period, by status (the report's `by_status`).
CREATE INDEX order_list_placed ON order_list (placed_at);
