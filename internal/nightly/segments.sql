-- The segments step: the run's parameters, the active clients with their
-- window of facts, the segment each backs off to, and every segment's members
-- with their profitability band.
--
-- Every statement here builds one working table with CREATE TABLE AS (the
-- runner drops the old one first, in the same transaction). Working tables
-- read only the source tables, nightly_w_param and each other.

-- name: param
-- The run's parameter row (nightly_w_param): the as-of month, the windows
-- derived from it and every setting the run reads, built in SQL from the
-- setting table (nightly_param, migration 00020) once, so that the whole run
-- sees one consistent set; the statements read a setting as p.<its
-- nightly_param>. It checks the settings first and fails naming any whose
-- value is unusable. $1 the run, $2 the as-of month, $3 whether contacts are
-- counted to today (the latest month's run), $4 the run's time (cool-downs
-- are counted back from it).
SELECT nightly_param($1::bigint, $2::date, $3::boolean, run_at => $4::timestamptz);

-- name: replay-param
-- A replay's parameter row (in its own schema, from its snapshot of the
-- settings): $1 the as-of month (null: no month yet, only the settings), $2
-- the share of staying clients it reads, $3 the months after the as-of month
-- within which a leaver is always kept.
SELECT nightly_param(NULL, $1::date, false, $2::float8, $3::integer);

-- name: panel
-- The clients a replay reads when it samples (sample_share < 1; a nightly run
-- reads every active client and this table stays empty): every client that
-- leaves within keep_months after the as-of month (a fit's horizon, a
-- backtest's longest), and a stable random share of the others, marked ref:
-- they stand for the others, weighted by 1 / sample_share, and the peer
-- medians of the inputs are taken over them.
CREATE UNLOGGED TABLE nightly_w_panel AS
SELECT c.id AS client_id, c.left_on,
       NOT (c.left_on IS NOT NULL AND c.left_on < (p.cutoff + make_interval(months => p.keep_months))::date) AS ref
FROM client c
CROSS JOIN nightly_w_param p
WHERE p.sample_share < 1
  AND c.since < p.cutoff AND (c.left_on IS NULL OR c.left_on >= p.cutoff)
  AND ((c.left_on IS NOT NULL AND c.left_on < (p.cutoff + make_interval(months => p.keep_months))::date)
       OR (abs(hashint8(c.id # p.sample_salt)) % 1000000) < p.sample_share * 1000000);

-- name: product-income
-- What each product a client holds at the end of the as-of month brought it
-- over the profitability window (the last segment.profit_window_months), from
-- the month it was taken if later: one pass that merges the holdings (in
-- client order, from their primary key) with those months of facts (in client
-- order, from the partitions' primary keys) and sums each holding's rows as
-- they go by, with no sort (the runner turns hash aggregation off for it).
-- held divides it by the months the client held the product.
-- $1 profit_from, $2 as_of
CREATE UNLOGGED TABLE nightly_w_product_income AS
SELECT h.client_id, h.product_id, h.opened_on,
       coalesce(sum(f.product_income[array_position(f.product_ids, h.product_id)])
                    FILTER (WHERE f.month >= date_trunc('month', h.opened_on)), 0)::numeric AS income
FROM holding h
JOIN monthly_fact f ON f.client_id = h.client_id AND f.month >= $1::date AND f.month <= $2::date
WHERE h.opened_on < ($2::date + interval '1 month')
  AND (h.closed_on IS NULL OR h.closed_on >= ($2::date + interval '1 month'))
  AND ((SELECT sample_share FROM nightly_w_param) >= 1
       OR h.client_id IN (SELECT client_id FROM nightly_w_panel))
GROUP BY h.client_id, h.product_id, h.opened_on;

-- name: held
-- The products every client holds at the end of the as-of month and, aligned
-- with them, the average monthly income each brought over the profitability
-- window, or since the client took it if later (the month it was taken counts
-- whole); null for a product taken during the as-of month, which has no whole
-- month to judge by. A product is open at most once at a time, so only a
-- holding closed after the as-of month can meet another: it counts when no
-- other held then opened before it. (Both arrays are built from the same rows
-- in the same order, so they stay aligned.)
-- $1 as_of
CREATE UNLOGGED TABLE nightly_w_held AS
SELECT h.client_id, array_agg(h.product_id) AS held,
       array_agg(CASE WHEN h.opened_on < $1::date
                      THEN round(coalesce(pi.income, 0) / m.months)::bigint END) AS held_income
FROM holding h
LEFT JOIN nightly_w_product_income pi ON pi.client_id = h.client_id AND pi.product_id = h.product_id
                                     AND pi.opened_on = h.opened_on
CROSS JOIN LATERAL (
    SELECT (date_part('year', age($1::date, greatest((SELECT profit_from FROM nightly_w_param),
                                                     date_trunc('month', h.opened_on)::date))) * 12
            + date_part('month', age($1::date, greatest((SELECT profit_from FROM nightly_w_param),
                                                      date_trunc('month', h.opened_on)::date))) + 1)::numeric AS months
) m
WHERE h.opened_on < (SELECT cutoff FROM nightly_w_param)
  AND ((SELECT sample_share FROM nightly_w_param) >= 1
       OR h.client_id IN (SELECT client_id FROM nightly_w_panel))
  AND (h.closed_on IS NULL
       OR (h.closed_on >= (SELECT cutoff FROM nightly_w_param)
           AND NOT EXISTS (
               SELECT 1 FROM holding o
               WHERE o.client_id = h.client_id AND o.product_id = h.product_id
                 AND o.opened_on < (SELECT cutoff FROM nightly_w_param)
                 AND (o.closed_on IS NULL
                      OR (o.closed_on >= (SELECT cutoff FROM nightly_w_param) AND o.opened_on < h.opened_on)))))
GROUP BY h.client_id;

-- name: client
-- The clients active at the end of the as-of month (joined before it ends,
-- not left by then) with tenure, tenure band and profitability (average
-- monthly income over the window, or the client's life if shorter), and from
-- one pass over the months of facts the run needs: sums over the recent and
-- base windows of the churn signals, the income of each of the last 13 months
-- (warning.income_fall_months is at most 12) and the transactions of the last
-- 6, and what it holds. The pass aggregates the rows the
-- partitions' primary keys deliver in client order (the runner turns hash
-- aggregation off for it); the month bounds are parameters so that PostgreSQL
-- reads only those months' partitions.
-- It also carries the 12-month window the churn model's inputs read (fixed
-- at 12 months, from input_from): the months with facts, the sums of
-- turnover, balance, transactions and income over the window, over its first
-- and its last 3 months, the months with facts but no transaction, and the
-- transactions of each month. A replay that samples (nightly_w_panel) reads
-- only its panel's clients.
-- $1 scan_from, $2 profit_from, $3 recent_from, $4 base_from, $5 as_of, $6 input_from
CREATE UNLOGGED TABLE nightly_w_client AS
WITH f AS (
    SELECT f.client_id,
           count(*) FILTER (WHERE f.month >= $2::date) AS profit_months,
           sum(f.income) FILTER (WHERE f.month >= $2::date) AS profit_income,
           sum(f.tx_count) FILTER (WHERE f.month >= $2::date) AS profit_tx,
           count(*) FILTER (WHERE f.month >= $3::date) AS recent_months,
           count(*) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS base_months,
           sum(f.turnover) FILTER (WHERE f.month >= $3::date) AS turnover_recent,
           sum(f.turnover) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS turnover_base,
           sum(f.avg_balance) FILTER (WHERE f.month >= $3::date) AS balance_recent,
           sum(f.avg_balance) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS balance_base,
           sum(f.tx_count) FILTER (WHERE f.month >= $3::date) AS tx_recent,
           sum(f.tx_count) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS tx_base,
           sum(f.income) FILTER (WHERE f.month >= $3::date) AS income_recent,
           sum(f.income) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS income_base,
           -- one row a month, so max is that month's
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '0 months')::date) AS income_0,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '1 months')::date) AS income_1,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '2 months')::date) AS income_2,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '3 months')::date) AS income_3,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '4 months')::date) AS income_4,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '5 months')::date) AS income_5,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '6 months')::date) AS income_6,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '7 months')::date) AS income_7,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '8 months')::date) AS income_8,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '9 months')::date) AS income_9,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '10 months')::date) AS income_10,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '11 months')::date) AS income_11,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '12 months')::date) AS income_12,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '0 months')::date) AS tx_0,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '1 months')::date) AS tx_1,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '2 months')::date) AS tx_2,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '3 months')::date) AS tx_3,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '4 months')::date) AS tx_4,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '5 months')::date) AS tx_5,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '6 months')::date) AS tx_6,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '7 months')::date) AS tx_7,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '8 months')::date) AS tx_8,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '9 months')::date) AS tx_9,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '10 months')::date) AS tx_10,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '11 months')::date) AS tx_11,
           count(*) FILTER (WHERE f.month >= $6::date) AS m12,
           (sum(f.turnover) FILTER (WHERE f.month >= $6::date))::numeric AS turnover_sum12,
           (sum(f.avg_balance) FILTER (WHERE f.month >= $6::date))::numeric AS balance_sum12,
           (sum(f.tx_count) FILTER (WHERE f.month >= $6::date))::numeric AS tx_sum12,
           (sum(f.income) FILTER (WHERE f.month >= $6::date))::numeric AS income_sum12,
           count(*) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date) AS m_first3,
           (sum(f.turnover) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS turnover_first3,
           (sum(f.avg_balance) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS balance_first3,
           (sum(f.tx_count) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS tx_first3,
           (sum(f.income) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS income_first3,
           count(*) FILTER (WHERE f.month > ($5::date - interval '3 months')::date) AS m_last3,
           (sum(f.turnover) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS turnover_last3,
           (sum(f.avg_balance) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS balance_last3,
           (sum(f.tx_count) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS tx_last3,
           (sum(f.income) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS income_last3,
           count(*) FILTER (WHERE f.month >= $6::date AND f.tx_count = 0) AS idle_rows
    FROM monthly_fact f
    WHERE f.month >= $1::date AND f.month <= $5::date
      AND ((SELECT sample_share FROM nightly_w_param) >= 1
           OR f.client_id IN (SELECT client_id FROM nightly_w_panel))
    GROUP BY f.client_id
)
SELECT c.id AS client_id, c.group_id, c.bank_id, b.currency, b.minor_digits, c.region_id, c.industry_id,
       c.branch_id, c.manager_id, c.since, t.tenure_months,
       (CASE WHEN t.tenure_months < 6 THEN 0 WHEN t.tenure_months < 12 THEN 1 WHEN t.tenure_months < 24 THEN 2
             WHEN t.tenure_months < 36 THEN 3 ELSE 4 END)::smallint AS band,
       coalesce(f.profit_months, 0)::integer AS profit_months,
       coalesce(round(f.profit_income / nullif(f.profit_months, 0)), 0)::bigint AS profitability,
       f.profit_tx::float8 / nullif(f.profit_months, 0) AS avg_tx,
       coalesce(f.recent_months, 0)::integer AS recent_months,
       coalesce(f.base_months, 0)::integer AS base_months,
       f.turnover_recent, f.turnover_base, f.balance_recent, f.balance_base, f.tx_recent, f.tx_base,
       f.income_recent, f.income_base,
       f.income_0, f.income_1, f.income_2, f.income_3, f.income_4, f.income_5, f.income_6, f.income_7, f.income_8, f.income_9, f.income_10, f.income_11, f.income_12,
       f.tx_0, f.tx_1, f.tx_2, f.tx_3, f.tx_4, f.tx_5, f.tx_6, f.tx_7, f.tx_8, f.tx_9, f.tx_10, f.tx_11,
       -- months of the 12-month window the client was with the bank
       least(12, (date_part('year', p.as_of) - date_part('year', c.since)) * 12
                 + date_part('month', p.as_of) - date_part('month', c.since) + 1)::integer AS window_months,
       coalesce(f.m12, 0)::integer AS m12, f.turnover_sum12, f.balance_sum12, f.tx_sum12, f.income_sum12,
       coalesce(f.m_first3, 0)::integer AS m_first3, f.turnover_first3, f.balance_first3, f.tx_first3, f.income_first3,
       coalesce(f.m_last3, 0)::integer AS m_last3, f.turnover_last3, f.balance_last3, f.tx_last3, f.income_last3,
       coalesce(f.idle_rows, 0)::integer AS idle_rows,
       coalesce(hd.held, '{}') AS held, coalesce(hd.held_income, '{}') AS held_income,
       coalesce(px.ref, true) AS ref
FROM client c
JOIN bank b ON b.id = c.bank_id
CROSS JOIN nightly_w_param p
LEFT JOIN nightly_w_panel px ON px.client_id = c.id
-- full months from joining to the end of the as-of month
CROSS JOIN LATERAL (SELECT ((date_part('year', p.cutoff) - date_part('year', c.since)) * 12
                            + date_part('month', p.cutoff) - date_part('month', c.since)
                            - (date_part('day', c.since) > 1)::integer)::integer AS tenure_months) t
LEFT JOIN f ON f.client_id = c.id
LEFT JOIN nightly_w_held hd ON hd.client_id = c.id
WHERE c.since < p.cutoff AND (c.left_on IS NULL OR c.left_on >= p.cutoff)
  AND (p.sample_share >= 1 OR px.client_id IS NOT NULL);

-- name: client-todo
-- The nightly run's clients (those active at the end of the as-of month)
-- whose summary (client_summary, internal/summary) is not current for the
-- run's as-of month and windows: a client with no fact in the latest feed,
-- every client after a change of a window's setting or as of another month,
-- or all of them when the summary was not trusted (cleared first). The run
-- rewrites their rows from the facts (summary.write) before it reads them.
-- The month bounds are parameters, not nightly_w_param's columns, so that
-- PostgreSQL plans with them: joined to the parameter row it read the
-- clients through their since index, a million random reads at 1,000,000
-- clients instead of one pass over each table (docs/performance.md).
-- $1 scan_from, $2 profit_from, $3 recent_from, $4 base_from, $5 as_of, $6 input_from
CREATE TEMP TABLE client_summary_todo ON COMMIT DROP AS
SELECT c.id AS client_id
FROM client c
WHERE c.since < ($5::date + interval '1 month')::date
  AND (c.left_on IS NULL OR c.left_on >= ($5::date + interval '1 month')::date)
  AND NOT EXISTS (SELECT 1 FROM client_summary s
                  WHERE s.client_id = c.id AND s.as_of = $5::date AND s.scan_from = $1::date
                    AND s.profit_from = $2::date AND s.recent_from = $3::date
                    AND s.base_from = $4::date AND s.input_from = $6::date);

-- name: client-summary
-- The nightly run's nightly_w_client, as segments.client builds it, with what
-- it takes from the facts read from the clients' summary rows (one row per
-- client, current for the run's as-of month and windows: client-todo's have
-- just been rewritten) instead of the pass over the months of facts. A
-- replay, whose as-of months are past ones, runs segments.client.
CREATE UNLOGGED TABLE nightly_w_client AS
SELECT c.id AS client_id, c.group_id, c.bank_id, b.currency, b.minor_digits, c.region_id, c.industry_id,
       c.branch_id, c.manager_id, c.since, t.tenure_months,
       (CASE WHEN t.tenure_months < 6 THEN 0 WHEN t.tenure_months < 12 THEN 1 WHEN t.tenure_months < 24 THEN 2
             WHEN t.tenure_months < 36 THEN 3 ELSE 4 END)::smallint AS band,
       coalesce(f.profit_months, 0)::integer AS profit_months,
       coalesce(round(f.profit_income / nullif(f.profit_months, 0)), 0)::bigint AS profitability,
       f.profit_tx::float8 / nullif(f.profit_months, 0) AS avg_tx,
       coalesce(f.recent_months, 0)::integer AS recent_months,
       coalesce(f.base_months, 0)::integer AS base_months,
       f.turnover_recent, f.turnover_base, f.balance_recent, f.balance_base, f.tx_recent, f.tx_base,
       f.income_recent, f.income_base,
       f.income_0, f.income_1, f.income_2, f.income_3, f.income_4, f.income_5, f.income_6, f.income_7, f.income_8, f.income_9, f.income_10, f.income_11, f.income_12,
       f.tx_0, f.tx_1, f.tx_2, f.tx_3, f.tx_4, f.tx_5, f.tx_6, f.tx_7, f.tx_8, f.tx_9, f.tx_10, f.tx_11,
       -- months of the 12-month window the client was with the bank
       least(12, (date_part('year', p.as_of) - date_part('year', c.since)) * 12
                 + date_part('month', p.as_of) - date_part('month', c.since) + 1)::integer AS window_months,
       coalesce(f.m12, 0)::integer AS m12, f.turnover_sum12, f.balance_sum12, f.tx_sum12, f.income_sum12,
       coalesce(f.m_first3, 0)::integer AS m_first3, f.turnover_first3, f.balance_first3, f.tx_first3, f.income_first3,
       coalesce(f.m_last3, 0)::integer AS m_last3, f.turnover_last3, f.balance_last3, f.tx_last3, f.income_last3,
       coalesce(f.idle_rows, 0)::integer AS idle_rows,
       coalesce(hd.held, '{}') AS held, coalesce(hd.held_income, '{}') AS held_income,
       coalesce(px.ref, true) AS ref
FROM client c
JOIN bank b ON b.id = c.bank_id
CROSS JOIN nightly_w_param p
LEFT JOIN nightly_w_panel px ON px.client_id = c.id
-- full months from joining to the end of the as-of month
CROSS JOIN LATERAL (SELECT ((date_part('year', p.cutoff) - date_part('year', c.since)) * 12
                            + date_part('month', p.cutoff) - date_part('month', c.since)
                            - (date_part('day', c.since) > 1)::integer)::integer AS tenure_months) t
LEFT JOIN client_summary f ON f.client_id = c.id AND f.as_of = p.as_of AND f.scan_from = p.scan_from
                           AND f.profit_from = p.profit_from AND f.recent_from = p.recent_from
                           AND f.base_from = p.base_from AND f.input_from = p.input_from
LEFT JOIN nightly_w_held hd ON hd.client_id = c.id
WHERE c.since < p.cutoff AND (c.left_on IS NULL OR c.left_on >= p.cutoff)
  AND (p.sample_share >= 1 OR px.client_id IS NOT NULL);

-- name: key
-- Every full key (bank x region x industry x tenure band) of the active
-- clients, the level it backs off to (the finest level whose segment has at
-- least segment.min_clients active clients, else the group level) and the
-- levels whose segments the run builds for it (use1..use4): the chosen one
-- and, for its ideal profile, each coarser one until one is sure to have
-- profile.min_best_clients best clients. A segment's band A holds ceil(n/5)
-- clients (ntile), so a level is sure of that many best clients when none of
-- its clients can be too new to be best, and of that many less its clients in
-- bands that may be too new otherwise; a tenure band entirely too new has no
-- best client at all and is skipped (a 0-6 months segment learns from bank x
-- industry).
CREATE UNLOGGED TABLE nightly_w_key AS
WITH k AS (
    SELECT group_id, currency, bank_id, region_id, industry_id, band, count(*) AS n
    FROM nightly_w_client
    GROUP BY group_id, currency, bank_id, region_id, industry_id, band
), s AS (
    SELECT k.*, b.lo, b.hi,
           sum(n) OVER (PARTITION BY bank_id, industry_id, band) AS n2,
           sum(n) OVER (PARTITION BY bank_id, industry_id) AS n3,
           sum(n) OVER (PARTITION BY group_id, currency, industry_id) AS n4,
           sum(CASE WHEN b.lo < p.best_min_tenure THEN n ELSE 0 END) OVER (PARTITION BY bank_id, industry_id) AS young3,
           sum(CASE WHEN b.lo < p.best_min_tenure THEN n ELSE 0 END)
               OVER (PARTITION BY group_id, currency, industry_id) AS young4
    FROM k
    CROSS JOIN nightly_w_param p
    -- the band's months: from lo, below hi
    CROSS JOIN LATERAL (SELECT (ARRAY[0, 6, 12, 24, 36])[k.band + 1] AS lo,
                               (ARRAY[6, 12, 24, 36, 100000])[k.band + 1] AS hi) b
), l AS (
    SELECT s.*,
           (CASE WHEN s.n >= p.min_clients THEN 1 WHEN s.n2 >= p.min_clients THEN 2
                 WHEN s.n3 >= p.min_clients THEN 3 ELSE 4 END)::smallint AS level,
           s.hi <= p.best_min_tenure AS band_too_new,
           -- the best clients each level's segment is sure to have
           CASE WHEN s.lo >= p.best_min_tenure THEN ceil(s.n / 5.0) ELSE 0 END >= p.min_best_clients AS sure1,
           CASE WHEN s.lo >= p.best_min_tenure THEN ceil(s.n2 / 5.0) ELSE 0 END >= p.min_best_clients AS sure2,
           ceil(s.n3 / 5.0) - s.young3 >= p.min_best_clients AS sure3
    FROM s CROSS JOIN nightly_w_param p
)
SELECT l.group_id, l.currency, l.bank_id, l.region_id, l.industry_id, l.band, l.n, l.n2, l.n3, l.level, l.n4,
       l.level = 1 AS use1,
       l.level = 2 OR (l.level < 2 AND NOT l.sure1 AND NOT l.band_too_new) AS use2,
       l.level = 3 OR (l.level < 3 AND NOT (l.level <= 1 AND l.sure1) AND NOT l.sure2) AS use3,
       l.level = 4 OR (l.level < 4 AND NOT (l.level <= 1 AND l.sure1) AND NOT (l.level <= 2 AND l.sure2)
                       AND NOT l.sure3) AS use4
FROM l;

-- name: register
-- Registers the segments the run uses, once; a segment keeps its id.
INSERT INTO segment (level, group_id, currency, bank_id, region_id, industry_id, tenure_band)
SELECT DISTINCT u.level, k.group_id, k.currency,
       CASE WHEN u.level < 4 THEN k.bank_id END, CASE WHEN u.level = 1 THEN k.region_id END, k.industry_id,
       CASE WHEN u.level <= 2 THEN k.band END
FROM nightly_w_key k
CROSS JOIN LATERAL (VALUES (1::smallint, k.use1), (2::smallint, k.use2), (3::smallint, k.use3),
                           (4::smallint, k.use4)) AS u(level, used)
WHERE u.used
ON CONFLICT DO NOTHING;

-- name: keyseg
-- For every full key: its own segment (chosen) and, at each level, the
-- segment it belongs to when that segment is one the run uses. A client is a
-- member of every used segment its key belongs to: a coarser segment learns
-- from all the clients it describes, not only from those that backed off to it.
CREATE UNLOGGED TABLE nightly_w_keyseg AS
WITH used AS (
    SELECT DISTINCT s.id, s.level, s.group_id, s.currency, s.bank_id, s.region_id, s.industry_id, s.tenure_band
    FROM nightly_w_key k
    CROSS JOIN LATERAL (VALUES (1::smallint, k.use1), (2::smallint, k.use2), (3::smallint, k.use3),
                               (4::smallint, k.use4)) AS u(level, used)
    JOIN segment s ON s.level = u.level AND s.group_id = k.group_id AND s.currency = k.currency
                  AND s.industry_id = k.industry_id
                  AND s.bank_id IS NOT DISTINCT FROM (CASE WHEN u.level < 4 THEN k.bank_id END)
                  AND s.region_id IS NOT DISTINCT FROM (CASE WHEN u.level = 1 THEN k.region_id END)
                  AND s.tenure_band IS NOT DISTINCT FROM (CASE WHEN u.level <= 2 THEN k.band END)
    WHERE u.used
)
SELECT k.bank_id, k.region_id, k.industry_id, k.band, k.level,
       (CASE k.level WHEN 1 THEN u1.id WHEN 2 THEN u2.id WHEN 3 THEN u3.id ELSE u4.id END) AS chosen,
       u1.id AS seg1, u2.id AS seg2, u3.id AS seg3, u4.id AS seg4
FROM nightly_w_key k
LEFT JOIN used u1 ON u1.level = 1 AND u1.bank_id = k.bank_id AND u1.region_id = k.region_id
                 AND u1.industry_id = k.industry_id AND u1.tenure_band = k.band
LEFT JOIN used u2 ON u2.level = 2 AND u2.bank_id = k.bank_id AND u2.industry_id = k.industry_id
                 AND u2.tenure_band = k.band
LEFT JOIN used u3 ON u3.level = 3 AND u3.bank_id = k.bank_id AND u3.industry_id = k.industry_id
LEFT JOIN used u4 ON u4.level = 4 AND u4.group_id = k.group_id AND u4.currency = k.currency
                 AND u4.industry_id = k.industry_id;

-- name: member
-- Every (segment, client) membership with the client's profitability
-- quintile within the segment (1 = band A; ties broken by client id so that a
-- run is repeatable), whether it is one of the segment's best clients, and
-- what it holds and earns by product, so that the profiles and triggers read
-- this one table.
CREATE UNLOGGED TABLE nightly_w_member AS
WITH m AS (
    SELECT u.segment_id, c.client_id, u.segment_id = ks.chosen AS assigned, c.tenure_months, c.profitability,
           c.held, c.held_income
    FROM nightly_w_client c
    JOIN nightly_w_keyseg ks ON ks.bank_id = c.bank_id AND ks.region_id = c.region_id
                            AND ks.industry_id = c.industry_id AND ks.band = c.band
    CROSS JOIN LATERAL unnest(ARRAY[ks.seg1, ks.seg2, ks.seg3, ks.seg4]) AS u(segment_id)
    WHERE u.segment_id IS NOT NULL
), q AS (
    SELECT m.*, ntile(5) OVER (PARTITION BY m.segment_id ORDER BY m.profitability DESC, m.client_id)::smallint AS quintile
    FROM m
)
SELECT q.segment_id, q.client_id, q.assigned, q.tenure_months, q.profitability, q.quintile,
       q.held, q.held_income,
       (q.quintile = 1 AND q.tenure_months >= p.best_min_tenure) AS best
FROM q CROSS JOIN nightly_w_param p;
