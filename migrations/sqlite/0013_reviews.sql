-- The site's public reviews: what clients published at completion, never a name.
CREATE TABLE reviews
(
    order_id  text    NOT NULL PRIMARY KEY,
    -- the ReviewPublished event's place in the log (newest first on the site)
    position  bigint  NOT NULL,
    at        text    NOT NULL,
    rating    bigint  NOT NULL,
    review    text    NOT NULL,
    work_type text    NOT NULL,
    subject   text    NOT NULL,
    hidden    boolean NOT NULL DEFAULT false
);
CREATE INDEX reviews_shown ON reviews (position DESC) WHERE hidden = false;
