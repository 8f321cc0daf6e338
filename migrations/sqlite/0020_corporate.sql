-- Corporate clients (issue 16): a client's account may be a company's, with its name, tax
-- id (INN) and contact person; NULL for an individual.
ALTER TABLE users ADD COLUMN company_name text;
ALTER TABLE users ADD COLUMN tax_id text;
ALTER TABLE users ADD COLUMN contact_person text;

-- Whether an order was placed for a company's account (recorded in `OrderPlaced`; the
-- orders placed before it was recorded are individuals', as their events say).
ALTER TABLE order_list ADD COLUMN corporate boolean NOT NULL DEFAULT false;
CREATE INDEX order_list_corporate ON order_list (number) WHERE corporate;

-- The reports split revenue and the average check: the corporate part of each sum (the
-- individuals' part is the whole less it).
ALTER TABLE report_days ADD COLUMN payments_corporate bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN refunds_corporate bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN orders_completed_corporate bigint NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN completed_value_corporate bigint NOT NULL DEFAULT 0;
