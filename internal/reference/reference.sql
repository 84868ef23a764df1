-- Queries of the reference package, prepared at start by Check.

-- name: group
SELECT id, code, name FROM banking_group WHERE id = $1;

-- Whether a code is in use says whether a client refers to it (an index probe
-- each, so that the page costs the same at a million clients).
-- name: banks
SELECT b.id, b.code, b.name, b.currency::text, b.minor_digits, EXISTS (SELECT 1 FROM client c WHERE c.bank_id = b.id)
FROM bank b WHERE b.group_id = $1 ORDER BY b.code COLLATE "C";

-- name: regions
SELECT r.id, r.code, r.name, '', EXISTS (SELECT 1 FROM client c WHERE c.region_id = r.id)
FROM region r WHERE r.group_id = $1 ORDER BY r.code COLLATE "C";

-- name: industries
SELECT i.id, i.code, i.name, coalesce(i.nace_section::text, ''), EXISTS (SELECT 1 FROM client c WHERE c.industry_id = i.id)
FROM industry i WHERE i.group_id = $1 ORDER BY i.code COLLATE "C";

-- name: setup-group
INSERT INTO banking_group AS g (code, name) VALUES ($1, $2)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name
RETURNING id, (xmax = 0);

-- The NACE Rev.2 sections, for a group that has no industry yet.
-- name: setup-nace
INSERT INTO industry (group_id, code, name, nace_section)
SELECT $1, u.code, u.name, u.code FROM unnest($2::text[], $3::text[]) AS u(code, name)
WHERE NOT EXISTS (SELECT 1 FROM industry WHERE group_id = $1);

-- name: bank-by-code
SELECT b.group_id <> $2, EXISTS (SELECT 1 FROM client c WHERE c.bank_id = b.id)::int, b.currency::text, b.minor_digits
FROM bank b WHERE b.code = $1;

-- Each save returns whether it inserted, and no row when nothing changed.
-- name: rename-group
UPDATE banking_group SET name = $2 WHERE id = $1 AND name IS DISTINCT FROM $2 RETURNING false;

-- name: save-bank
INSERT INTO bank AS b (group_id, code, name, currency, minor_digits) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, minor_digits = EXCLUDED.minor_digits
WHERE b.group_id = EXCLUDED.group_id
  AND (b.name, b.currency, b.minor_digits) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.currency, EXCLUDED.minor_digits)
RETURNING (xmax = 0);

-- name: save-region
INSERT INTO region AS r (group_id, code, name) VALUES ($1, $2, $3)
ON CONFLICT (group_id, code) DO UPDATE SET name = EXCLUDED.name
WHERE r.name IS DISTINCT FROM EXCLUDED.name
RETURNING (xmax = 0);

-- name: save-industry
INSERT INTO industry AS i (group_id, code, name, nace_section) VALUES ($1, $2, $3, nullif($4::text, ''))
ON CONFLICT (group_id, code) DO UPDATE SET name = EXCLUDED.name, nace_section = EXCLUDED.nace_section
WHERE (i.name, i.nace_section) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.nace_section)
RETURNING (xmax = 0);
