-- A bank's first day (issue 11): contact history arrives in the feed, and a
-- feed's amounts are checked against plausible bounds.
--
-- Contacts come from three places: made in Relay by a manager (source
-- 'relay'), and brought by the feed from the bank's old CRM or its contact
-- centre (source: the feed's name for that system). A contact from the feed
-- is keyed by its client, its source and its id there (ref), so that a second
-- import of the same feed changes nothing; a contact made in Relay has no ref
-- and no feed row can match it, so the feed never overwrites one. A contact
-- centre's interaction may have no Relay user behind it, so user_id may be
-- null. proactive (the bank started it) and outcome 'complaint' keep their
-- meaning: the churn model reads them.

-- +goose Up
ALTER TABLE contact
    ALTER COLUMN user_id DROP NOT NULL,
    ADD COLUMN source text NOT NULL DEFAULT 'relay' CHECK (source ~ '^[a-z0-9][a-z0-9._-]{0,29}$'),
    ADD COLUMN ref    text CHECK (ref ~ '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,59}$'),
    ADD COLUMN topic  text NOT NULL DEFAULT '' CHECK (length(topic) <= 100);
CREATE UNIQUE INDEX contact_source_ref_idx ON contact (client_id, source, ref) WHERE ref IS NOT NULL;

-- Bounds on the figures a feed may carry, in major units of the bank's
-- currency (euros, lei, dinars): an amount beyond them is a typo or a poisoned
-- file, refused with its file, line and column. The largest bound, 10^14 major
-- units, keeps 10^18 minor units (four minor digits) well inside bigint.
INSERT INTO setting (key, value, default_value, kind, min_value, max_value, area, label, description) VALUES
('import.max_turnover', '10000000000', '10000000000', 'int', 1, 100000000000000, 'imports', 'Largest monthly turnover',
 'A feed''s monthly turnover above this, in major units of the bank''s currency, is refused as implausible.'),
('import.max_balance', '10000000000', '10000000000', 'int', 1, 100000000000000, 'imports', 'Largest average balance',
 'A feed''s average balance above this, or below minus this, in major units of the bank''s currency, is refused.'),
('import.max_income', '100000000', '100000000', 'int', 1, 100000000000000, 'imports', 'Largest monthly income',
 'A feed''s monthly income from a client, per product or in all, beyond plus or minus this (major units) is refused.'),
('import.max_tx_count', '10000000', '10000000', 'int', 1, 2000000000, 'imports', 'Most transactions in a month',
 'A feed''s number of transactions of a client in a month above this is refused as implausible.');

-- An import under way records how far it is, per file (rows read, checked,
-- applied), for the imports page: internal/imports.Progress as JSON.
ALTER TABLE feed_import ADD COLUMN progress jsonb NOT NULL DEFAULT '{}';

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
