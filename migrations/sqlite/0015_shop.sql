-- The ready-made works shop (decision 021), kept by the shop projection from the
-- `ReadyWork` and `Purchase` streams. Portable types only (the same text serves both
-- backends).

-- The catalogue: every work ever listed, delisted ones flagged (the public list leaves
-- them out). The file's hash never leaves the service but to staff and paid buyers.
CREATE TABLE ready_works
(
    id           text    NOT NULL PRIMARY KEY,
    -- the WorkListed event's place in the log (newest first in the catalogue)
    position     bigint  NOT NULL,
    listed_at    text    NOT NULL,
    listed_by    text    NOT NULL,
    title        text    NOT NULL,
    subject      text    NOT NULL,
    work_type    text    NOT NULL,
    pages        bigint  NOT NULL,
    price        bigint  NOT NULL,
    description  text    NOT NULL,
    -- lowercased title, subject and description: the text search (lowercased in Rust,
    -- so Cyrillic folds on SQLite as on PostgreSQL)
    search       text    NOT NULL,
    file_name    text    NOT NULL,
    file_size    bigint  NOT NULL,
    file_type    text    NOT NULL,
    file_sha256  text    NOT NULL,
    delisted     boolean NOT NULL DEFAULT false,
    delisted_at  text,
    -- purchases paid
    sales        bigint  NOT NULL DEFAULT 0
);
CREATE INDEX ready_works_on_sale ON ready_works (position DESC) WHERE delisted = false;

-- Every purchase of a work, its buyer and its payment in full.
CREATE TABLE purchases
(
    id          text   NOT NULL PRIMARY KEY,
    position    bigint NOT NULL,
    work_id     text   NOT NULL,
    buyer_id    text   NOT NULL,
    title       text   NOT NULL,
    price       bigint NOT NULL,
    -- awaiting_payment, paid
    status      text   NOT NULL,
    payment_id  text,
    made_at     text   NOT NULL,
    paid_at     text
);
CREATE INDEX purchases_buyer ON purchases (buyer_id, position DESC);
CREATE INDEX purchases_work ON purchases (work_id);

-- The shop's money per day, apart from the orders' (`payments` stays the orders').
ALTER TABLE report_days ADD COLUMN shop_revenue bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN shop_sales bigint NOT NULL DEFAULT 0;

-- `payments` also keeps a purchase's payment id (half = 'full', order_id = the
-- purchase's id), so one provider id pays one order half or one purchase, never two.
