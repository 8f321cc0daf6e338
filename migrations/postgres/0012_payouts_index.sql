-- The payout clerk's latest payouts (the website's /payouts): newest first, without
-- scanning the credits of every order.
CREATE INDEX author_ledger_payouts ON author_ledger (at DESC) WHERE kind = 'payout';
