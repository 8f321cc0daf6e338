-- The catalogue of work types, subjects and extras (issue 16, decision 025): each entry an
-- admin set or retired (the Catalogue aggregate's read model). An entry without a row is
-- as the seeded default catalogue has it.
CREATE TABLE catalogue
(
    kind       text    NOT NULL,
    code       text    NOT NULL,
    name       text    NOT NULL,
    -- kopecks; an extra's only
    price      bigint,
    active     boolean NOT NULL,
    changed_at text    NOT NULL,
    changed_by text,
    PRIMARY KEY (kind, code)
);

-- Every change of the catalogue, one row per event: `action` is `set` or `retired`, with
-- the entry before (none when it was new) and after.
CREATE TABLE catalogue_history
(
    position   bigint NOT NULL PRIMARY KEY,
    kind       text   NOT NULL,
    code       text   NOT NULL,
    action     text   NOT NULL,
    old_name   text,
    old_price  bigint,
    name       text   NOT NULL,
    price      bigint,
    at         text   NOT NULL,
    changed_by text
);

-- The extras on each order (the order table's projection), at their price when added;
-- `position`: the ExtraAdded event's, so they list in the order they were added.
CREATE TABLE order_extras
(
    order_id text   NOT NULL,
    code     text   NOT NULL,
    position bigint NOT NULL,
    name     text   NOT NULL,
    price    bigint NOT NULL,
    PRIMARY KEY (order_id, code)
);
