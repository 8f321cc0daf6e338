-- How many orders each manager, and everyone, has in each status: the `total` of the
-- order list without a COUNT(*) over the whole history (docs/decisions/007-list-totals.md).
-- Kept by the order table's projection in the same transaction as `order_list`; only
-- non-zero counts are stored, so a replay finds the same rows whatever its batches.
-- Portable types only (the same text serves both backends).
CREATE TABLE order_counts
(
    -- 'all' (every order), 'unassigned' (no manager yet) or 'manager:<uuid>'
    scope  text   NOT NULL,
    status text   NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (scope, status)
);

-- An existing database starts exact: count what the order table holds now.
INSERT INTO order_counts (scope, status, n)
SELECT 'all', status, COUNT(*)
FROM order_list
GROUP BY status;

INSERT INTO order_counts (scope, status, n)
SELECT COALESCE('manager:' || manager_id, 'unassigned'), status, COUNT(*)
FROM order_list
GROUP BY COALESCE('manager:' || manager_id, 'unassigned'), status;

-- (PostgreSQL also gets a trigram index for the topic search here; SQLite keeps LIKE.)
