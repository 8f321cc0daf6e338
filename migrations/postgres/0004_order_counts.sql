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

-- An existing database starts exact: count what the order table holds now, with its
-- writers held off until this commits.
LOCK TABLE order_list IN SHARE MODE;
INSERT INTO order_counts (scope, status, n)
SELECT 'all', status, COUNT(*)
FROM order_list
GROUP BY status;

INSERT INTO order_counts (scope, status, n)
SELECT COALESCE('manager:' || manager_id, 'unassigned'), status, COUNT(*)
FROM order_list
GROUP BY COALESCE('manager:' || manager_id, 'unassigned'), status;

-- A word search (`?q=<word>`, `topic_lc LIKE '%word%'`) through a trigram index where
-- `pg_trgm` can be had: a rare word no longer reads the whole table (0.15 ms instead of
-- 55 ms at 75 000 orders); a common one reads only its matches. Without the extension
-- (not installed, or not ours to create) the search stays a scan: slower, not wrong.
DO
$$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'pg_trgm not created (%): the topic search stays a scan', SQLERRM;
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS order_list_topic_trgm ON order_list USING gin (topic_lc gin_trgm_ops);
    END IF;
END
$$;
