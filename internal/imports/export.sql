-- The export writes the feed format from Relay's tables. COPY takes no
-- parameters, so the group id (a number the package reads itself) is put in
-- with %[1]d, and the first month of facts with %[2]s. Rows are sorted in "C"
-- order so that two databases with the same data write the same bytes.

-- name: export-group
COPY (SELECT code, name FROM banking_group WHERE id = %[1]d) TO STDOUT (FORMAT csv, HEADER);

-- name: export-banks
COPY (
    SELECT code, name, currency, minor_digits FROM bank WHERE group_id = %[1]d ORDER BY code COLLATE "C"
) TO STDOUT (FORMAT csv, HEADER);

-- name: export-regions
COPY (SELECT code, name FROM region WHERE group_id = %[1]d ORDER BY code COLLATE "C") TO STDOUT (FORMAT csv, HEADER);

-- name: export-industries
COPY (
    SELECT code, name, nace_section FROM industry WHERE group_id = %[1]d ORDER BY code COLLATE "C"
) TO STDOUT (FORMAT csv, HEADER);

-- name: export-products
COPY (
    SELECT code, name, family, income_kind, key_product::text AS key_product, active::text AS active
    FROM product WHERE group_id = %[1]d ORDER BY code COLLATE "C"
) TO STDOUT (FORMAT csv, HEADER);

-- name: export-branches
COPY (
    SELECT bk.code AS bank, br.code, br.name, r.code AS region
    FROM branch br JOIN bank bk ON bk.id = br.bank_id JOIN region r ON r.id = br.region_id
    WHERE bk.group_id = %[1]d ORDER BY br.code COLLATE "C"
) TO STDOUT (FORMAT csv, HEADER);

-- name: export-managers
COPY (
    SELECT u.login, u.name, br.code AS branch
    FROM app_user u JOIN branch br ON br.id = u.branch_id
    WHERE u.group_id = %[1]d AND u.role = 'manager' ORDER BY u.login COLLATE "C"
) TO STDOUT (FORMAT csv, HEADER);

-- name: export-clients
COPY (
    SELECT bk.code AS bank, c.ref, c.tax_id, c.legal_name, br.code AS branch, r.code AS region,
           i.code AS industry, c.size_band, c.since, c.left_on, u.login AS manager
    FROM client c
    JOIN bank bk ON bk.id = c.bank_id
    JOIN branch br ON br.id = c.branch_id
    JOIN region r ON r.id = c.region_id
    JOIN industry i ON i.id = c.industry_id
    LEFT JOIN app_user u ON u.id = c.manager_id
    WHERE c.group_id = %[1]d
    ORDER BY bk.code COLLATE "C", c.ref COLLATE "C"
) TO STDOUT (FORMAT csv, HEADER);

-- name: export-holdings
COPY (
    SELECT bk.code AS bank, c.ref AS client, p.code AS product, h.opened_on, h.closed_on
    FROM holding h
    JOIN client c ON c.id = h.client_id
    JOIN bank bk ON bk.id = c.bank_id
    JOIN product p ON p.id = h.product_id
    WHERE c.group_id = %[1]d
    ORDER BY bk.code COLLATE "C", c.ref COLLATE "C", p.code COLLATE "C", h.opened_on
) TO STDOUT (FORMAT csv, HEADER);

-- Facts leave the database as text and are turned into the feed's format in
-- Go: money as decimals, product ids as codes.
-- name: export-facts
COPY (
    SELECT bk.code, c.ref, f.month, f.tx_count, f.turnover, f.avg_balance, f.product_ids, f.product_income
    FROM monthly_fact f
    JOIN client c ON c.id = f.client_id
    JOIN bank bk ON bk.id = c.bank_id
    WHERE c.group_id = %[1]d AND f.month >= DATE '%[2]s'
    ORDER BY f.month, bk.code COLLATE "C", c.ref COLLATE "C"
) TO STDOUT;

-- Contacts made in Relay have no ref: their id stands in for it, so that the
-- file imported into another Relay keeps them apart, and imported back here
-- finds them.
-- name: export-contacts
COPY (
    SELECT bk.code AS bank, c.ref AS client, k.source, coalesce(k.ref, k.id::text) AS ref,
           to_char(k.happened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS happened_at, k.kind,
           CASE WHEN k.proactive THEN 'bank' ELSE 'client' END AS started_by, k.outcome,
           nullif(k.topic, '') AS topic, nullif(k.notes, '') AS notes, u.login AS "user", k.csat, k.nps
    FROM contact k
    JOIN client c ON c.id = k.client_id
    JOIN bank bk ON bk.id = c.bank_id
    LEFT JOIN app_user u ON u.id = k.user_id
    WHERE c.group_id = %[1]d
    ORDER BY bk.code COLLATE "C", c.ref COLLATE "C", k.happened_at, k.source COLLATE "C",
             coalesce(k.ref, k.id::text) COLLATE "C"
) TO STDOUT (FORMAT csv, HEADER);

-- name: export-bank-digits
SELECT code, minor_digits FROM bank WHERE group_id = $1;

-- name: export-product-ids
SELECT id, code FROM product WHERE group_id = $1;
