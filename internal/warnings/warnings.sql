-- Reads of churn warnings. Every query carries the marker
-- {{scope:c}}, replaced by the viewer's access.ClientScope over
-- client c, or {{scope:w}}, over the warning's own copies (list both).
-- for-client, list and list-rows select the same columns, in the same
-- order, for one scanner (warnings.go: scan).

-- name: for-client
-- $1 client.
SELECT w.client_id, c.ref, c.legal_name, b.code, b.currency, b.minor_digits, coalesce(w.manager_id, 0),
       coalesce(u.name, ''), w.score, w.level, w.warned_since, w.as_of,
       w.turnover_recent, w.turnover_base, w.turnover_value, w.turnover_fired, w.turnover_strength,
       w.turnover_share, w.turnover_figures,
       w.balance_recent, w.balance_base, w.balance_value, w.balance_fired, w.balance_strength,
       w.balance_share, w.balance_figures,
       w.tx_recent, w.tx_base, w.tx_value, w.tx_fired, w.tx_strength, w.tx_share, w.tx_figures,
       coalesce(w.closed_product_id, 0), coalesce(cp.code, ''), w.closed_on, coalesce(w.closed_key, false),
       w.closed_value, w.closed_fired, w.closed_strength, w.closed_share, w.closed_figures,
       w.income_from, w.income_to, w.income_value, w.income_fired, w.income_strength, w.income_share,
       w.income_figures,
       w.lifetime_typical, coalesce(w.lifetime_leavers, 0), w.lifetime_tenure, w.lifetime_value,
       w.lifetime_fired, w.lifetime_strength, w.lifetime_share, w.lifetime_figures,
       w.contact_last, w.contact_value, w.contact_fired, w.contact_strength, w.contact_share, w.contact_figures,
       coalesce(u.login, ''), r.name, br.name, i.code, i.name, coalesce(s.segment_id, 0), coalesce(sn.label, ''),
       coalesce(s.stage, ''), s.clv, coalesce(w.probability, w.score / 100.0), coalesce(w.model_id, 0),
       cc.inputs, cc.contribs, sc.input_codes
FROM client_warning w
LEFT JOIN client_churn cc ON cc.client_id = w.client_id
LEFT JOIN bank_churn_scorer sc ON sc.bank_id = w.bank_id
{{include:places}}
WHERE w.client_id = $1 AND {{scope:c}};

-- name: list
-- The whole churn list, for an export: the warnings of the clients a viewer
-- sees that match the filters, in the order asked for. $1 bank, $2 region,
-- $3 branch, $4 industry, $5 manager (0: all), $6 level ('': both), $7 a
-- signal that fired ('': any); {{order}} is the ORDER BY of the sort
-- (warnings.go: sortOrder, over w: the inner w's columns and the outer w's
-- are the same values under the same names). The columns are for-client's,
-- except that the scorer's input codes (40 names, the same for every client
-- of a bank) are null here and the row ends with its bank instead:
-- eachExport reads them once per bank (scorer-codes) in the same snapshot.
-- Nor does a row carry a page's key or the count.
-- It is read in two halves so that the rows start at once: the inner w
-- finds the rows that match (list-page's filters, both scopes: the warning's
-- copies and the live client row) with the short columns of the places and
-- names, and sorts those narrow rows in memory; then the wide columns (the
-- signals' figures, the score's inputs) are read for each row in that order
-- by primary key (x, cc: nested loops, which keep the order, so nothing
-- sorts them again). Sorting the whole wide rows (about 2 kB each) was an
-- external merge sort of 160-250 MB at 100,000 rows before the first row
-- left the server, while the export waited (docs/performance.md, "The
-- 100,000-row export ... 2026-12-06").
SELECT w.client_id, w.ref, w.client_name, w.bank_code, w.currency, w.minor_digits, w.manager_id,
       w.manager_name, x.score, x.level, x.warned_since, x.as_of,
       x.turnover_recent, x.turnover_base, x.turnover_value, x.turnover_fired, x.turnover_strength,
       x.turnover_share, x.turnover_figures,
       x.balance_recent, x.balance_base, x.balance_value, x.balance_fired, x.balance_strength,
       x.balance_share, x.balance_figures,
       x.tx_recent, x.tx_base, x.tx_value, x.tx_fired, x.tx_strength, x.tx_share, x.tx_figures,
       coalesce(x.closed_product_id, 0), w.closed_code, x.closed_on, coalesce(x.closed_key, false),
       x.closed_value, x.closed_fired, x.closed_strength, x.closed_share, x.closed_figures,
       x.income_from, x.income_to, x.income_value, x.income_fired, x.income_strength, x.income_share,
       x.income_figures,
       x.lifetime_typical, coalesce(x.lifetime_leavers, 0), x.lifetime_tenure, x.lifetime_value,
       x.lifetime_fired, x.lifetime_strength, x.lifetime_share, x.lifetime_figures,
       x.contact_last, x.contact_value, x.contact_fired, x.contact_strength, x.contact_share, x.contact_figures,
       w.manager_login, w.region, w.branch, w.industry_code, w.industry, w.segment_id, w.segment,
       w.stage, w.score_clv, coalesce(x.probability, x.score / 100.0), coalesce(x.model_id, 0),
       cc.inputs, cc.contribs, NULL::text[], w.bank_id
FROM (
    SELECT w.client_id, w.probability, w.clv, w.legal_name, w.warned_since, w.bank_id,
           c.ref, c.legal_name AS client_name, b.code AS bank_code, b.currency, b.minor_digits,
           coalesce(w.manager_id, 0) AS manager_id, coalesce(u.name, '') AS manager_name,
           coalesce(u.login, '') AS manager_login, coalesce(cp.code, '') AS closed_code,
           r.name AS region, br.name AS branch, i.code AS industry_code, i.name AS industry,
           coalesce(s.segment_id, 0) AS segment_id, coalesce(sn.label, '') AS segment,
           coalesce(s.stage, '') AS stage, s.clv AS score_clv
    FROM client_warning w
    {{include:places}}
    WHERE {{include:filters}}
      AND {{scope:w}}
      AND {{scope:c}}
    ORDER BY {{order}}
) w
CROSS JOIN LATERAL (SELECT * FROM client_warning x WHERE x.client_id = w.client_id OFFSET 0) x
LEFT JOIN LATERAL (SELECT cc.inputs, cc.contribs FROM client_churn cc WHERE cc.client_id = w.client_id OFFSET 0) cc
    ON true
ORDER BY {{order}};

-- fragment: places
-- The client, its bank, places, segment, manager and closed product of the
-- warning w, joined once for for-client, list and list-rows (put in place
-- when the file is read): the short columns all three select.
JOIN client c ON c.id = w.client_id
JOIN bank b ON b.id = c.bank_id
JOIN region r ON r.id = c.region_id
JOIN branch br ON br.id = c.branch_id
JOIN industry i ON i.id = c.industry_id
LEFT JOIN client_score s ON s.client_id = w.client_id
LEFT JOIN segment_named sn ON sn.id = s.segment_id
LEFT JOIN app_user u ON u.id = w.manager_id
LEFT JOIN product cp ON cp.id = w.closed_product_id

-- fragment: filters
-- The churn list's filters over the warning w, written once for list and
-- list-page (put in place when the file is read): $1 bank, $2 region, $3
-- branch, $4 industry, $5 manager (0: all), $6 level ('': both), $7 a signal
-- that fired ('': any).
($1::smallint = 0 OR w.bank_id = $1)
AND ($2::smallint = 0 OR w.region_id = $2)
AND ($3::integer = 0 OR w.branch_id = $3)
AND ($4::smallint = 0 OR w.industry_id = $4)
AND ($5::integer = 0 OR w.manager_id = $5)
AND ($6::text = '' OR w.level = $6)
AND ($7::text = '' OR CASE $7::text
         WHEN 'turnover' THEN w.turnover_fired
         WHEN 'balance' THEN w.balance_fired
         WHEN 'transactions' THEN w.tx_fired
         WHEN 'product_closed' THEN w.closed_fired
         WHEN 'income_falling' THEN w.income_fired
         WHEN 'lifetime' THEN w.lifetime_fired
         WHEN 'no_contact' THEN w.contact_fired
         ELSE false END)

-- name: scorer-codes
-- Each bank's scorer's input codes, in the order of client_churn's arrays,
-- for an export's rows (list).
SELECT bank_id, input_codes FROM bank_churn_scorer;

-- name: list-page
-- A page of the churn list, first step: the ids of the page's warnings and
-- the number that match. $1-$7 the filters, as list's; $8 limit, $9 offset,
-- $10 whether to count the rows that match (a page after a cursor does not:
-- the initplan is then never run); {{after}} the keyset condition of a page
-- after a cursor (warnings.go: keysetAfter) or true; {{order}} the ORDER BY of
-- the sort (warnings.go: sortOrder, over the columns of m as w), so that each
-- sort is a statement of its own and the riskiest-first list is read in the
-- order of the viewer's scope index, 25 rows for a page. m reads
-- client_warning alone: the warning carries where its client stands, its
-- name and its CLV (migration 00007), kept up to date during the day by the
-- feed import and by reassignment, and the viewer's scope applies to those
-- copies; the scope indexes carry every column m reads (migration 00015), so
-- that the page and the count are index-only scans. It is planned in a
-- fraction of a millisecond (one statement with the 13 tables of the rows
-- took as long to plan as to run); list-rows then reads the page's rows.
WITH m AS NOT MATERIALIZED (
    SELECT w.client_id, w.probability, w.warned_since, w.legal_name, w.clv
    FROM client_warning w
    WHERE {{include:filters}}
      AND {{scope:w}}
),
p AS (
    SELECT w.client_id
    FROM m AS w
    WHERE {{after}}
    ORDER BY {{order}}
    LIMIT $8 OFFSET $9
)
SELECT coalesce(array_agg(p.client_id), '{}'),
       coalesce(CASE WHEN $10::boolean THEN (SELECT count(*) FROM m) END, 0)::integer
FROM p;

-- name: list-rows
-- A page of the churn list, second step: the rows of the warnings list-page
-- found ($1, their client ids), as list selects them (the count is list-page's),
-- scoped again on the live client row, in the order of the sort. Its text
-- depends only on the viewer's role and the sort, so each connection plans
-- it once (PostgreSQL keeps a generic plan of the prepared statement).
SELECT w.client_id, c.ref, c.legal_name, b.code, b.currency, b.minor_digits, coalesce(w.manager_id, 0),
       coalesce(u.name, ''), w.score, w.level, w.warned_since, w.as_of,
       w.turnover_recent, w.turnover_base, w.turnover_value, w.turnover_fired, w.turnover_strength,
       w.turnover_share, w.turnover_figures,
       w.balance_recent, w.balance_base, w.balance_value, w.balance_fired, w.balance_strength,
       w.balance_share, w.balance_figures,
       w.tx_recent, w.tx_base, w.tx_value, w.tx_fired, w.tx_strength, w.tx_share, w.tx_figures,
       coalesce(w.closed_product_id, 0), coalesce(cp.code, ''), w.closed_on, coalesce(w.closed_key, false),
       w.closed_value, w.closed_fired, w.closed_strength, w.closed_share, w.closed_figures,
       w.income_from, w.income_to, w.income_value, w.income_fired, w.income_strength, w.income_share,
       w.income_figures,
       w.lifetime_typical, coalesce(w.lifetime_leavers, 0), w.lifetime_tenure, w.lifetime_value,
       w.lifetime_fired, w.lifetime_strength, w.lifetime_share, w.lifetime_figures,
       w.contact_last, w.contact_value, w.contact_fired, w.contact_strength, w.contact_share, w.contact_figures,
       coalesce(u.login, ''), r.name, br.name, i.code, i.name, coalesce(s.segment_id, 0), coalesce(sn.label, ''),
       coalesce(s.stage, ''), s.clv, coalesce(w.probability, w.score / 100.0), coalesce(w.model_id, 0),
       cc.inputs, cc.contribs, sc.input_codes,
       json_build_object('Probability', w.probability, 'CLV', w.clv, 'Name', w.legal_name, 'Since', w.warned_since,
                         'ClientID', w.client_id)::text,
       0
FROM unnest($1::bigint[]) AS p(client_id)
JOIN client_warning w ON w.client_id = p.client_id
LEFT JOIN client_churn cc ON cc.client_id = w.client_id
LEFT JOIN bank_churn_scorer sc ON sc.bank_id = w.bank_id
{{include:places}}
WHERE {{scope:c}}
ORDER BY {{order}};

-- name: churn-of
-- A client's churn score as the last run gave it, warned or not: its
-- probability, scorer and every input with its contribution. $1 client.
SELECT cc.probability, cc.score, coalesce(cc.model_id, 0), cc.inputs, cc.contribs, sc.input_codes, cc.as_of,
       b.currency, b.minor_digits, fm.source, fm.fitted_at, fm.test_auc, fm.test_lift, fm.fixed_auc, fm.fixed_lift
FROM client_churn cc
JOIN client c ON c.id = cc.client_id
JOIN bank b ON b.id = c.bank_id
LEFT JOIN bank_churn_scorer sc ON sc.bank_id = cc.bank_id
LEFT JOIN fitted_model fm ON fm.id = cc.model_id
WHERE cc.client_id = $1 AND {{scope:c}};
