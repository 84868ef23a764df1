-- The take-up model's history and inputs: one row per client active at the
-- end of a month, with what it held then, its recent behaviour, its offers so
-- far and (for a fit) what it opened in the months after; and the adoption of
-- each product in the client's cell (bank x region x industry, backed off to
-- bank x industry and bank) that month. Nothing dated after the month is
-- read but the outcome a fit asks for.

-- name: products
SELECT id, code, name, family, income_kind, active FROM product WHERE group_id = $1 ORDER BY id;

-- name: client-rows
-- $1 the month (its first day), $2 the outcome window in months (0: none),
-- $3 the share of clients to read (a stable hash of the id and $4 draws
-- them), $5 the bank (null: all), $6 the control group's share.
WITH p AS (
    SELECT $1::date AS m, ($1::date + interval '1 month')::date AS e,
           ($1::date + make_interval(months => 1 + $2::integer))::date AS until
), act AS (
    SELECT c.id, c.bank_id, c.region_id, c.industry_id, c.since
    FROM client c, p
    WHERE c.since < p.e AND (c.left_on IS NULL OR c.left_on >= p.e)
      AND ($5::smallint IS NULL OR c.bank_id = $5::smallint)
      AND ($3::float8 >= 1
           OR ('x' || substr(md5('relay-takeup:' || $4::bigint || ':' || c.id), 1, 8))::bit(32)::bigint
              / 4294967296.0 < $3::float8)
), h AS (
    SELECT h.client_id,
           array_agg(DISTINCT h.product_id) FILTER (WHERE h.opened_on < p.e AND (h.closed_on IS NULL OR h.closed_on >= p.e))
               AS held,
           count(*) FILTER (WHERE h.opened_on < p.e AND h.opened_on >= (p.e - interval '12 months')::date) AS opened_12m,
           count(*) FILTER (WHERE h.opened_on < p.e AND h.opened_on >= (p.e - interval '3 months')::date) AS opened_3m,
           count(*) FILTER (WHERE h.opened_on < p.e AND h.opened_on >= (a.since + interval '1 month')::date)
               AS opened_since_start,
           max(h.opened_on) FILTER (WHERE h.opened_on < p.e) AS last_opened,
           array_agg(DISTINCT h.product_id) FILTER (WHERE h.opened_on >= p.e AND h.opened_on < p.until) AS opened_after
    FROM holding h
    JOIN act a ON a.id = h.client_id
    CROSS JOIN p
    WHERE h.opened_on < p.until
    GROUP BY h.client_id
), f AS (
    SELECT f.client_id, avg(f.income)::float8 AS income, avg(f.tx_count)::float8 AS tx,
           avg(f.avg_balance)::float8 AS balance, avg(f.turnover)::float8 AS turnover
    FROM monthly_fact f
    JOIN act a ON a.id = f.client_id
    CROSS JOIN p
    WHERE f.month > (p.m - interval '3 months')::date AND f.month <= p.m
    GROUP BY f.client_id
), t AS (
    SELECT t.client_id,
           array_agg(DISTINCT t.product_id) FILTER (WHERE t.status IN ('lost', 'dismissed') AND t.closed_at < p.e)
               AS refused,
           array_agg(DISTINCT t.product_id) FILTER (WHERE NOT t.hidden) AS offered
    FROM cross_sell_trigger t
    JOIN act a ON a.id = t.client_id
    CROSS JOIN p
    WHERE t.raised_as_of <= p.m
    GROUP BY t.client_id
)
SELECT a.id, a.bank_id, a.region_id, a.industry_id,
       (date_part('year', age(p.e, a.since)) * 12 + date_part('month', age(p.e, a.since)))::integer AS tenure,
       coalesce(h.held, '{}') AS held, coalesce(h.opened_12m, 0)::integer AS opened_12m,
       coalesce(h.opened_3m, 0)::integer AS opened_3m, coalesce(h.opened_since_start, 0)::integer AS opened_since_start,
       CASE WHEN h.last_opened IS NOT NULL
            THEN (date_part('year', age(p.e, h.last_opened)) * 12 + date_part('month', age(p.e, h.last_opened)))::integer
       END AS months_since_open,
       f.income, f.tx, f.balance, f.turnover,
       coalesce(t.refused, '{}') AS refused, coalesce(t.offered, '{}') AS offered,
       ('x' || substr(md5('relay-control-group:' || a.id), 1, 8))::bit(32)::bigint / 4294967296.0 < $6::float8
           AS control,
       coalesce(h.opened_after, '{}') AS opened_after
FROM act a
CROSS JOIN p
LEFT JOIN h ON h.client_id = a.id
LEFT JOIN f ON f.client_id = a.id
LEFT JOIN t ON t.client_id = a.id
ORDER BY a.id;

-- name: cells
-- Per cell (bank x region x industry) and its back-offs (bank x industry,
-- bank): active clients at the end of month $1 and its best (the top quarter
-- of its cell by income over the last 3 months), and per product how many of
-- each hold it. A null region or industry is the back-off's; product null is
-- the cell's own count.
WITH p AS (
    SELECT $1::date AS m, ($1::date + interval '1 month')::date AS e
), act AS (
    SELECT c.id, c.bank_id, c.region_id, c.industry_id
    FROM client c, p
    WHERE c.since < p.e AND (c.left_on IS NULL OR c.left_on >= p.e)
      AND ($2::smallint IS NULL OR c.bank_id = $2::smallint)
), inc AS (
    SELECT f.client_id, avg(f.income) AS income
    FROM monthly_fact f
    JOIN act a ON a.id = f.client_id
    CROSS JOIN p
    WHERE f.month > (p.m - interval '3 months')::date AND f.month <= p.m
    GROUP BY f.client_id
), b AS (
    SELECT a.id, a.bank_id, a.region_id, a.industry_id,
           ntile(4) OVER (PARTITION BY a.bank_id, a.region_id, a.industry_id
                          ORDER BY coalesce(i.income, 0), a.id) = 4 AS best
    FROM act a
    LEFT JOIN inc i ON i.client_id = a.id
), held AS (
    SELECT DISTINCT h.client_id, h.product_id
    FROM holding h
    JOIN act a ON a.id = h.client_id
    CROSS JOIN p
    WHERE h.opened_on < p.e AND (h.closed_on IS NULL OR h.closed_on >= p.e)
)
SELECT bank_id, region_id, industry_id, NULL::smallint AS product_id, count(*) AS clients,
       count(*) FILTER (WHERE best) AS best
FROM b
GROUP BY GROUPING SETS ((bank_id, region_id, industry_id), (bank_id, industry_id), (bank_id))
UNION ALL
SELECT b.bank_id, b.region_id, b.industry_id, held.product_id, count(*), count(*) FILTER (WHERE b.best)
FROM b
JOIN held ON held.client_id = b.id
GROUP BY GROUPING SETS ((b.bank_id, b.region_id, b.industry_id, held.product_id),
                        (b.bank_id, b.industry_id, held.product_id), (b.bank_id, held.product_id));

-- name: span
-- The first and last month of facts.
SELECT (SELECT min(month) FROM monthly_fact), (SELECT max(month) FROM monthly_fact);

-- name: active-at
SELECT count(*) FROM client
WHERE since < ($1::date + interval '1 month')::date
  AND (left_on IS NULL OR left_on >= ($1::date + interval '1 month')::date)
  AND ($2::smallint IS NULL OR bank_id = $2::smallint);

-- name: shown
-- The triggers of bank $1 shown to managers and raised as of $2 to $3 whose
-- take-up window has passed: how many, how many were taken, the income the
-- taken ones brought over the window, and the bank's currency.
SELECT count(*)::integer, count(t.taken_on)::integer, coalesce(sum(t.income_after), 0)::bigint,
       b.currency, b.minor_digits::integer
FROM bank b
LEFT JOIN client c ON c.bank_id = b.id
LEFT JOIN cross_sell_trigger t ON t.client_id = c.id AND NOT t.hidden AND t.outcome_as_of IS NOT NULL
                              AND t.raised_as_of BETWEEN $2::date AND $3::date
WHERE b.id = $1::smallint
GROUP BY b.currency, b.minor_digits;

-- name: groups
SELECT id, code, name FROM banking_group ORDER BY id;

-- name: insert-model
INSERT INTO fitted_model (group_id, bank_id, purpose, source, origin, fitted_at, created_by, card, body,
                          test_auc, test_lift, fixed_auc, fixed_lift, beats_fixed)
VALUES ($1, $2, 'takeup', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING id;

-- name: update-card
UPDATE fitted_model SET card = $2 WHERE id = $1 AND purpose = 'takeup';

-- name: use-model
-- Which take-up model ranks a bank's offers from the next run (null: the
-- ideal-set rule).
INSERT INTO bank_model (bank_id, purpose, model_id, chosen_at, chosen_by, reason)
VALUES ($1, 'takeup', $2, now(), $3, $4)
ON CONFLICT (bank_id, purpose) DO UPDATE
SET model_id = excluded.model_id, chosen_at = excluded.chosen_at, chosen_by = excluded.chosen_by,
    reason = excluded.reason;

-- name: list-models
SELECT m.id, coalesce(b.code, ''), m.source, m.origin, m.fitted_at, m.card, m.test_auc, m.test_lift, m.fixed_auc,
       m.fixed_lift, m.beats_fixed,
       coalesce((SELECT array_agg(ub.code ORDER BY ub.code) FROM bank_model bm JOIN bank ub ON ub.id = bm.bank_id
                 WHERE bm.model_id = m.id AND bm.purpose = 'takeup'), '{}') AS used_by
FROM fitted_model m
LEFT JOIN bank b ON b.id = m.bank_id
WHERE m.group_id = $1 AND m.purpose = 'takeup' AND ($2::bigint IS NULL OR m.id = $2::bigint)
ORDER BY m.created_at DESC, m.id DESC
LIMIT $3;

-- name: model-body
SELECT body FROM fitted_model WHERE id = $1 AND group_id = $2 AND purpose = 'takeup';

-- name: bank-models
-- The take-up model each bank of group $1 uses.
SELECT bm.bank_id, bm.model_id, m.body
FROM bank_model bm
JOIN bank b ON b.id = bm.bank_id
JOIN fitted_model m ON m.id = bm.model_id AND m.purpose = 'takeup'
WHERE bm.purpose = 'takeup' AND b.group_id = $1;

-- name: bank-values
-- Each product's monthly value in each bank: the median, over the bank's
-- segment profiles of the run, of what the product brings its holders.
SELECT s.bank_id, sp.product_id, percentile_disc(0.5) WITHIN GROUP (ORDER BY sp.value)::bigint
FROM nightly_w_segment_product sp
JOIN nightly_w_segment s ON s.segment_id = sp.segment_id
WHERE sp.value > 0 AND s.bank_id IS NOT NULL
GROUP BY s.bank_id, sp.product_id;

-- name: client-refs
SELECT c.id, b.code, c.ref FROM client c JOIN bank b ON b.id = c.bank_id WHERE c.left_on IS NULL;

-- name: bank-currencies
SELECT id, currency, minor_digits::integer FROM bank WHERE group_id = $1;
