-- Where each order came from (`site`, `guest_checkout`, `manager`: issue 16) and the
-- finished order it repeats. Orders placed before the source was recorded read as `site`
-- in their events, so the table says the same (a replay agrees).
ALTER TABLE order_list ADD COLUMN source text NOT NULL DEFAULT 'site';
ALTER TABLE order_list ADD COLUMN repeats text;
CREATE INDEX order_list_source ON order_list (source, number);

-- A new deadline a manager proposed after the first half, until the client answers.
ALTER TABLE order_list ADD COLUMN proposed_deadline text;
