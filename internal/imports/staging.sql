-- Statements an import runs inside its transaction, on its staging tables.
-- They cannot be prepared at start (the staging tables exist only during an
-- import); the package's tests run every one of them.

-- name: create-staging
CREATE TEMP TABLE import_bank (
    id smallint NOT NULL, is_new boolean NOT NULL, code text NOT NULL, name text NOT NULL,
    currency text NOT NULL, minor_digits smallint NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_region (
    id smallint NOT NULL, is_new boolean NOT NULL, code text NOT NULL, name text NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_industry (
    id smallint NOT NULL, is_new boolean NOT NULL, code text NOT NULL, name text NOT NULL, nace_section text
) ON COMMIT DROP;
CREATE TEMP TABLE import_product (
    id smallint NOT NULL, is_new boolean NOT NULL, code text NOT NULL, name text NOT NULL,
    family text NOT NULL, income_kind text NOT NULL, key_product boolean NOT NULL, active boolean NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_branch (
    id integer NOT NULL, is_new boolean NOT NULL, bank_id smallint NOT NULL, region_id smallint NOT NULL,
    code text NOT NULL, name text NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_manager (
    id integer NOT NULL, is_new boolean NOT NULL, login text NOT NULL, name text NOT NULL, branch_id integer NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_client (
    id bigint NOT NULL, group_id smallint NOT NULL, bank_id smallint NOT NULL, ref text NOT NULL, tax_id text NOT NULL,
    legal_name text NOT NULL, branch_id integer NOT NULL, region_id smallint NOT NULL, industry_id smallint NOT NULL,
    size_band text NOT NULL, since date NOT NULL, left_on date, manager_id integer, is_new boolean NOT NULL,
    line integer NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE import_contact (
    client_id bigint NOT NULL, line integer NOT NULL, source text NOT NULL, ref text NOT NULL,
    happened_at timestamptz NOT NULL, kind text NOT NULL, proactive boolean NOT NULL, outcome text NOT NULL,
    topic text NOT NULL, notes text NOT NULL, user_id integer, csat smallint, nps smallint
) ON COMMIT DROP;
CREATE TEMP TABLE import_holding (
    client_id bigint NOT NULL, product_id smallint NOT NULL, opened_on date NOT NULL, closed_on date, line integer NOT NULL
) ON COMMIT DROP;

-- Facts are staged in a partitioned table: a month that monthly_fact has no
-- partition for gets a partition here, named as monthly_fact's would be, which
-- is detached, indexed and attached to monthly_fact whole; rows of months
-- that exist go to the default partition and are upserted from it.
-- name: create-fact-staging
DROP TABLE IF EXISTS import_fact;
CREATE TABLE import_fact (LIKE monthly_fact INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (month);
CREATE UNLOGGED TABLE import_fact_rest PARTITION OF import_fact DEFAULT;

-- name: copy-bank
COPY import_bank (id, is_new, code, name, currency, minor_digits) FROM STDIN;

-- name: copy-region
COPY import_region (id, is_new, code, name) FROM STDIN;

-- name: copy-industry
COPY import_industry (id, is_new, code, name, nace_section) FROM STDIN;

-- name: copy-product
COPY import_product (id, is_new, code, name, family, income_kind, key_product, active) FROM STDIN;

-- name: copy-branch
COPY import_branch (id, is_new, bank_id, region_id, code, name) FROM STDIN;

-- name: copy-manager
COPY import_manager (id, is_new, login, name, branch_id) FROM STDIN;

-- name: copy-client
COPY import_client (id, group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band,
                    since, left_on, manager_id, is_new, line) FROM STDIN (FORMAT binary);

-- An empty table is loaded straight, with its indexes and foreign keys
-- dropped while it loads (see bulk-indexes).
-- name: copy-client-bulk
COPY client (id, group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band,
             since, left_on, manager_id) FROM STDIN (FORMAT binary);

-- name: copy-holding
COPY import_holding (client_id, product_id, opened_on, closed_on, line) FROM STDIN (FORMAT binary);


-- name: copy-fact
COPY import_fact (client_id, month, tx_count, turnover, avg_balance, income, product_ids, product_income) FROM STDIN (FORMAT binary);

-- name: copy-contact
COPY import_contact (client_id, line, source, ref, happened_at, kind, proactive, outcome, topic, notes, user_id, csat, nps)
FROM STDIN (FORMAT binary);

-- A contact twice in contacts.csv: the same client, source and id.
-- name: check-contact-duplicates
SELECT line, first, ref FROM (
    SELECT line, ref, min(line) OVER (PARTITION BY client_id, source, ref) AS first FROM import_contact
) d
WHERE line <> first
ORDER BY line;

-- A contact new to Relay: neither a contact of the feed with the same key
-- nor, for a contact exported by a Relay (source relay, its id as ref), the
-- contact made here with that id.
-- name: insert-contacts
INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, notes, proactive, csat, nps, source, ref, topic)
SELECT s.client_id, s.user_id, s.kind, s.happened_at, s.outcome, s.notes, s.proactive, s.csat, s.nps, s.source, s.ref, s.topic
FROM import_contact s
WHERE NOT EXISTS (SELECT 1 FROM contact k WHERE k.client_id = s.client_id AND k.source = s.source AND k.ref = s.ref)
  AND NOT (s.source = 'relay' AND EXISTS (SELECT 1 FROM contact k
                                          WHERE k.client_id = s.client_id AND k.source = 'relay' AND k.ref IS NULL
                                            AND k.id::text = s.ref));

-- Into an empty contact table (its indexes dropped while it loads).
-- name: insert-contacts-all
INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, notes, proactive, csat, nps, source, ref, topic)
SELECT client_id, user_id, kind, happened_at, outcome, notes, proactive, csat, nps, source, ref, topic
FROM import_contact;

-- A contact of the feed that changed at its source; contacts made in Relay
-- are never changed by a feed.
-- name: update-contacts
UPDATE contact k
SET user_id = s.user_id, kind = s.kind, happened_at = s.happened_at, outcome = s.outcome, notes = s.notes,
    proactive = s.proactive, csat = s.csat, nps = s.nps, topic = s.topic
FROM import_contact s
WHERE k.client_id = s.client_id AND k.source = s.source AND k.ref = s.ref AND s.source <> 'relay'
  AND (k.user_id, k.kind, k.happened_at, k.outcome, k.notes, k.proactive, k.csat, k.nps, k.topic)
      IS DISTINCT FROM (s.user_id, s.kind, s.happened_at, s.outcome, s.notes, s.proactive, s.csat, s.nps, s.topic);

-- A manager who moves to another branch takes along only the clients the feed
-- moves too: clients left behind would have a manager of another branch.
-- name: check-manager-moves
SELECT m.login, count(*), min(b.code || ' ' || c.ref)
FROM import_manager m
JOIN app_user u ON u.id = m.id AND u.branch_id <> m.branch_id
JOIN client c ON c.manager_id = m.id
JOIN bank b ON b.id = c.bank_id
WHERE NOT m.is_new AND NOT EXISTS (SELECT 1 FROM import_client s WHERE s.id = c.id)
GROUP BY m.login;

-- Holdings twice in holdings.csv (the same client, product and opening
-- date), and products left open twice for a client: one sort serves both.
-- name: check-holding-duplicates
SELECT line, first_key, coalesce(first_open, line), closed_on IS NULL
FROM (
    SELECT line, closed_on,
           min(line) OVER (PARTITION BY client_id, product_id, opened_on) AS first_key,
           min(line) FILTER (WHERE closed_on IS NULL) OVER (PARTITION BY client_id, product_id) AS first_open
    FROM import_holding
) d
WHERE line <> first_key OR (closed_on IS NULL AND line <> first_open)
ORDER BY line;

-- A tax id twice in clients.csv, and a tax id Relay holds for another
-- client of the bank (a tax id cannot move between two clients within one
-- feed): the line, the tax id, and the line of its first client in the file
-- (0 for a client in Relay).
-- name: check-client-taxes
SELECT line, bank_id, tax_id, first FROM (
    SELECT line, bank_id, tax_id, min(line) OVER (PARTITION BY bank_id, tax_id) AS first FROM import_client
) d
WHERE line <> first
UNION ALL
SELECT s.line, s.bank_id, s.tax_id, 0
FROM import_client s
JOIN client c ON c.bank_id = s.bank_id AND c.tax_id = s.tax_id AND c.id <> s.id
ORDER BY 1;

-- The same for clients loaded straight into an empty client table, which
-- has no line: ids are taken in the file's order, so the first client of a
-- tax id has the smallest; the import finds the lines by ref.
-- name: check-client-taxes-bulk
SELECT d.bank_id, d.ref, d.tax_id, f.ref
FROM (SELECT id, bank_id, ref, tax_id, min(id) OVER (PARTITION BY bank_id, tax_id) AS first FROM client) d
JOIN client f ON f.id = d.first
WHERE d.id <> d.first;

-- name: index-holding-staging
CREATE INDEX ON import_holding (client_id, product_id, opened_on);
ANALYZE import_holding;

-- An open holding in the feed while Relay holds another open holding of the
-- same product for the client, which the feed does not close.
-- name: check-open-holdings
SELECT s.line, h.opened_on::text
FROM import_holding s
JOIN holding h ON h.client_id = s.client_id AND h.product_id = s.product_id
              AND h.closed_on IS NULL AND h.opened_on <> s.opened_on
WHERE s.closed_on IS NULL
  AND NOT EXISTS (SELECT 1 FROM import_holding x
                  WHERE x.client_id = h.client_id AND x.product_id = h.product_id
                    AND x.opened_on = h.opened_on AND x.closed_on IS NOT NULL)
ORDER BY s.line;

-- The group named by group.csv: created on the first day, renamed after.
-- name: insert-group
INSERT INTO banking_group (id, code, name) VALUES ($1, $2, $3);

-- name: update-group
UPDATE banking_group SET name = $2 WHERE id = $1 AND name IS DISTINCT FROM $2;

-- name: insert-banks
INSERT INTO bank (id, group_id, code, name, currency, minor_digits)
SELECT id, $1, code, name, currency, minor_digits FROM import_bank WHERE is_new;

-- name: update-banks
UPDATE bank b SET name = s.name, currency = s.currency, minor_digits = s.minor_digits
FROM import_bank s
WHERE b.id = s.id AND NOT s.is_new
  AND (b.name, b.currency::text, b.minor_digits) IS DISTINCT FROM (s.name, s.currency, s.minor_digits);

-- name: insert-regions
INSERT INTO region (id, group_id, code, name) SELECT id, $1, code, name FROM import_region WHERE is_new;

-- name: update-regions
UPDATE region r SET name = s.name
FROM import_region s
WHERE r.id = s.id AND NOT s.is_new AND r.name IS DISTINCT FROM s.name;

-- name: insert-industries
INSERT INTO industry (id, group_id, code, name, nace_section)
SELECT id, $1, code, name, nace_section FROM import_industry WHERE is_new;

-- name: update-industries
UPDATE industry i SET name = s.name, nace_section = s.nace_section
FROM import_industry s
WHERE i.id = s.id AND NOT s.is_new AND (i.name, i.nace_section::text) IS DISTINCT FROM (s.name, s.nace_section);

-- name: insert-products
INSERT INTO product (id, group_id, code, name, family, income_kind, key_product, active)
SELECT id, $1, code, name, family, income_kind, key_product, active FROM import_product WHERE is_new;

-- name: update-products
UPDATE product p
SET name = s.name, family = s.family, income_kind = s.income_kind, key_product = s.key_product, active = s.active
FROM import_product s
WHERE p.id = s.id AND NOT s.is_new
  AND (p.name, p.family, p.income_kind, p.key_product, p.active)
      IS DISTINCT FROM (s.name, s.family, s.income_kind, s.key_product, s.active);

-- name: insert-branches
INSERT INTO branch (id, bank_id, region_id, code, name)
SELECT id, bank_id, region_id, code, name FROM import_branch WHERE is_new;

-- name: update-branches
UPDATE branch b SET region_id = s.region_id, name = s.name
FROM import_branch s
WHERE b.id = s.id AND NOT s.is_new AND (b.region_id, b.name) IS DISTINCT FROM (s.region_id, s.name);

-- name: insert-managers
INSERT INTO app_user (id, group_id, login, name, role, branch_id, password_hash)
SELECT id, $1, login, name, 'manager', branch_id, $2 FROM import_manager WHERE is_new;

-- Clients of a manager who moves branch are let go first (the feed gives
-- them their manager again): a client's manager works in its branch.
-- name: release-moving-managers
UPDATE client c SET manager_id = NULL
FROM import_manager m JOIN app_user u ON u.id = m.id
WHERE c.manager_id = m.id AND NOT m.is_new AND u.branch_id <> m.branch_id;

-- name: update-managers
UPDATE app_user u SET name = s.name, branch_id = s.branch_id, updated_at = now()
FROM import_manager s
WHERE u.id = s.id AND NOT s.is_new AND (u.name, u.branch_id) IS DISTINCT FROM (s.name, s.branch_id);

-- name: insert-clients
INSERT INTO client (id, group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id,
                    size_band, since, left_on, manager_id)
SELECT id, group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id,
       size_band, since, left_on, manager_id
FROM import_client WHERE is_new;

-- name: update-clients
UPDATE client c
SET tax_id = s.tax_id, legal_name = s.legal_name, branch_id = s.branch_id, region_id = s.region_id,
    industry_id = s.industry_id, size_band = s.size_band, since = s.since, left_on = s.left_on,
    manager_id = s.manager_id, updated_at = now()
FROM import_client s
WHERE c.id = s.id AND NOT s.is_new
  AND (c.tax_id, c.legal_name, c.branch_id, c.region_id, c.industry_id, c.size_band, c.since, c.left_on, c.manager_id)
      IS DISTINCT FROM
      (s.tax_id, s.legal_name, s.branch_id, s.region_id, s.industry_id, s.size_band, s.since, s.left_on, s.manager_id);

-- A warning carries where its client stands, its name and its manager as of
-- the nightly run, for the churn list (migration 00007); a feed that moves a
-- client, renames it or gives it another manager moves its warning with it,
-- so that lists are right before the next run.
-- name: refresh-warnings
UPDATE client_warning w
SET group_id = c.group_id, bank_id = c.bank_id, region_id = c.region_id, branch_id = c.branch_id,
    industry_id = c.industry_id, legal_name = c.legal_name, manager_id = c.manager_id
FROM client c
WHERE c.id = w.client_id
  AND (w.group_id, w.bank_id, w.region_id, w.branch_id, w.industry_id, w.legal_name, w.manager_id)
      IS DISTINCT FROM
      (c.group_id, c.bank_id, c.region_id, c.branch_id, c.industry_id, c.legal_name, c.manager_id);

-- Closing comes before re-opening and before new holdings, so that a product
-- is never held open twice, even for a moment.
-- name: close-holdings
UPDATE holding h SET closed_on = s.closed_on
FROM import_holding s
WHERE h.client_id = s.client_id AND h.product_id = s.product_id AND h.opened_on = s.opened_on
  AND s.closed_on IS NOT NULL AND h.closed_on IS DISTINCT FROM s.closed_on;

-- name: reopen-holdings
UPDATE holding h SET closed_on = NULL
FROM import_holding s
WHERE h.client_id = s.client_id AND h.product_id = s.product_id AND h.opened_on = s.opened_on
  AND s.closed_on IS NULL AND h.closed_on IS NOT NULL;

-- name: insert-holdings
INSERT INTO holding (client_id, product_id, opened_on, closed_on)
SELECT client_id, product_id, opened_on, closed_on FROM import_holding s
WHERE NOT EXISTS (SELECT 1 FROM holding h
                  WHERE h.client_id = s.client_id AND h.product_id = s.product_id AND h.opened_on = s.opened_on);

-- name: insert-holdings-all
INSERT INTO holding (client_id, product_id, opened_on, closed_on)
SELECT client_id, product_id, opened_on, closed_on FROM import_holding;

-- A client's month in the feed replaces the month in Relay; a month that is
-- the same is left alone. Rows that differ are found by a join first: an
-- INSERT ... ON CONFLICT alone would lock (and so write) every row it meets.
-- name: upsert-facts
WITH changed AS MATERIALIZED (
    SELECT s.*, f.client_id IS NULL AS is_new FROM import_fact_rest s
    LEFT JOIN monthly_fact f ON f.client_id = s.client_id AND f.month = s.month
    WHERE f.client_id IS NULL
       OR (f.tx_count, f.turnover, f.avg_balance, f.income, f.product_ids, f.product_income)
          IS DISTINCT FROM (s.tx_count, s.turnover, s.avg_balance, s.income, s.product_ids, s.product_income)
), w AS (
    INSERT INTO monthly_fact AS f (client_id, month, tx_count, turnover, avg_balance, income, product_ids, product_income)
    SELECT client_id, month, tx_count, turnover, avg_balance, income, product_ids, product_income FROM changed
    ON CONFLICT (client_id, month) DO UPDATE
    SET tx_count = EXCLUDED.tx_count, turnover = EXCLUDED.turnover, avg_balance = EXCLUDED.avg_balance,
        income = EXCLUDED.income, product_ids = EXCLUDED.product_ids, product_income = EXCLUDED.product_income
    RETURNING 1
)
SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM changed;

-- The clients of the staged facts, whose summary the import rewrites
-- (internal/summary): every one, whether its rows changed or not.
-- name: summary-todo
CREATE TEMP TABLE client_summary_todo ON COMMIT DROP AS SELECT DISTINCT client_id FROM import_fact;

-- name: fact-rows
SELECT count(*) FROM import_fact_rest;

-- name: drop-fact-staging
DROP TABLE import_fact;
