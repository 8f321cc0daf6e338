-- Stage time limits (issue 15): the order table knows since when each order is in its
-- status (`status_since`, the time of the event that moved it there), which stay in a
-- status that is (`stage`: how many times its status changed), and its problems: the
-- current stage over its limit (`stage_limit_hours`, the limit it broke; cleared when the
-- status changes) and the deadline passed before delivery (`deadline_breach`, cleared on
-- delivery or end; `deadline_flagged` stays, once per order).
ALTER TABLE order_list ADD COLUMN stage bigint NOT NULL DEFAULT 0;
ALTER TABLE order_list ADD COLUMN status_since text;
ALTER TABLE order_list ADD COLUMN stage_limit_hours bigint;
ALTER TABLE order_list ADD COLUMN deadline_breach boolean NOT NULL DEFAULT false;
ALTER TABLE order_list ADD COLUMN deadline_flagged boolean NOT NULL DEFAULT false;

-- An existing database starts exact: an event changes the status unless it is one of
-- those that never do, or the second half's payment (the delivery it may bring is an
-- event of its own); the placement is stage 0.
UPDATE order_list o
SET stage        = s.changes - 1,
    status_since = s.since
FROM (SELECT aggregate_id,
             COUNT(*)                          AS changes,
             (array_agg(metadata ->> 'at' ORDER BY sequence DESC))[1] AS since
      FROM events
      WHERE aggregate_type = 'Order'
        AND event_type NOT IN ('RoutedToManager', 'PriceSet', 'RefundRecorded',
                               'CompensationGranted', 'ReviewPublished', 'ReviewHidden')
        AND NOT (event_type = 'PaymentReceived'
                 AND payload -> 'PaymentReceived' ->> 'half' = 'second')
      GROUP BY aggregate_id) s
WHERE o.id = s.aggregate_id;
UPDATE order_list SET status_since = placed_at WHERE status_since IS NULL;
ALTER TABLE order_list ALTER COLUMN status_since SET NOT NULL;

-- The SLA worker's two questions: who is in a status since before a time, and whose
-- deadline passed while the work is owed (a few rows, however long the history).
CREATE INDEX order_list_status_since ON order_list (status, status_since)
    WHERE stage_limit_hours IS NULL;
CREATE INDEX order_list_deadline_owed ON order_list (deadline)
    WHERE deadline_flagged = false AND status NOT IN ('delivered', 'completed', 'failed');
