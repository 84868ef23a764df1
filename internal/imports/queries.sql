-- Queries of the imports package that run on permanent tables; each is
-- prepared by Check at start.

-- name: groups
SELECT id FROM banking_group WHERE ($1::text = '' OR code = upper($1::text)) ORDER BY id;

-- Bank codes are unique across Relay, so those of other groups are read too.
-- name: banks
SELECT b.id, b.code, b.minor_digits, b.currency::text, EXISTS (SELECT 1 FROM client c WHERE c.bank_id = b.id), b.group_id <> $1
FROM bank b;

-- name: regions
SELECT id, code FROM region WHERE group_id = $1;

-- name: industries
SELECT id, code FROM industry WHERE group_id = $1;

-- name: products
SELECT id, code FROM product WHERE group_id = $1;

-- Branch codes and logins are unique across Relay, so those of other groups
-- are read too, to tell the feed that a code is taken.
-- name: branches
SELECT br.id, br.bank_id, br.region_id, br.code, bk.group_id <> $1
FROM branch br JOIN bank bk ON bk.id = br.bank_id;

-- name: users
SELECT id, login, role, branch_id::integer, group_id <> $1 FROM app_user;

-- name: clients
SELECT bank_id, ref, id, since, left_on FROM client WHERE group_id = $1;

-- The months that already have a partition of monthly_fact, as year*12 + month-1.
-- name: fact-months
SELECT substr(c.relname, 15, 4)::integer * 12 + substr(c.relname, 20, 2)::integer - 1
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'monthly_fact'::regclass AND c.relname ~ '^monthly_fact_y[0-9]{4}m[0-9]{2}$';

-- name: has-holdings
SELECT EXISTS (SELECT 1 FROM holding h JOIN client c ON c.id = h.client_id WHERE c.group_id = $1);

-- A block of ids from a table's sequence: its first and last id, and how
-- many were taken (last - first + 1 unless another session took some meanwhile).
-- name: next-id-block
SELECT min(id), max(id), count(*)
FROM (SELECT nextval(pg_get_serial_sequence($1::text, 'id')) AS id FROM generate_series(1, $2::integer)) ids;

-- Imports run one at a time, whoever starts them.
-- name: lock
SELECT pg_advisory_xact_lock(hashtext('relay.imports'));

-- name: tables-empty
SELECT NOT EXISTS (SELECT 1 FROM client), NOT EXISTS (SELECT 1 FROM holding), NOT EXISTS (SELECT 1 FROM contact);

-- For a table loaded whole while empty: the statements that drop its
-- indexes, primary and unique keys and foreign keys, and those that build
-- them again, read from the catalog so that they always match the
-- migrations. Keys that other tables' foreign keys rely on stay. Built again
-- in order: keys, indexes, foreign keys; dropped in the reverse order.
-- name: bulk-indexes
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)),
       CASE c.contype WHEN 'f' THEN 3 ELSE 1 END AS phase
FROM pg_constraint c
WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u', 'f')
  AND (c.contype = 'f' OR NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid))
UNION ALL
SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 2
FROM pg_index i
WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY phase, 2;

-- name: inbox-dir
SELECT value FROM setting WHERE key = 'import.inbox_dir';

-- The bounds on a feed's figures (settings, in major units).
-- name: amount-bounds
SELECT key, value::bigint FROM setting
WHERE key IN ('import.max_turnover', 'import.max_balance', 'import.max_income', 'import.max_tx_count');
