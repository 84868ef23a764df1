-- The warnings step: every churn signal of every active client and its
-- strength (0 to 1: how strongly the client shows the sign, not only whether
-- it fired); every input of the churn model (the signals' strengths and the
-- levels and shapes of the last 12 months, in the order of the input
-- registry, internal/warnings/inputs.go); then, once the run has scored them
-- (the bank's model or the fixed weights, in Go), the level and, from the
-- same figures, the client's lifecycle stage and activity cell.
--
-- A replay (relay model fit, relay backtest) runs these same statements in a
-- schema of its own for each past month, so that a model learns from exactly
-- the inputs the nightly run scores.

-- name: lifetime
-- The typical lifetime of every bank x region x industry of the active
-- clients: the median tenure at exit of the clients that left from it, backing
-- off to bank x industry and then to group x industry (within the currency)
-- when fewer than warning.lifetime_min_leavers have left.
CREATE UNLOGGED TABLE nightly_w_lifetime AS
WITH leaver AS MATERIALIZED (
    SELECT c.group_id, b.currency, c.bank_id, c.region_id, c.industry_id,
           (extract(year FROM age(c.left_on, c.since)) * 12 + extract(month FROM age(c.left_on, c.since)))::integer AS months
    FROM client c
    JOIN bank b ON b.id = c.bank_id
    CROSS JOIN nightly_w_param p
    WHERE c.left_on < p.cutoff
), l1 AS (
    SELECT bank_id, region_id, industry_id, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY months) AS typical
    FROM leaver GROUP BY bank_id, region_id, industry_id
), l2 AS (
    SELECT bank_id, industry_id, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY months) AS typical
    FROM leaver GROUP BY bank_id, industry_id
), l3 AS (
    SELECT group_id, currency, industry_id, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY months) AS typical
    FROM leaver GROUP BY group_id, currency, industry_id
), k AS (
    SELECT DISTINCT group_id, currency, bank_id, region_id, industry_id FROM nightly_w_client
), pick AS (
    SELECT k.*,
           (CASE WHEN l1.n >= p.lifetime_min_leavers THEN 1 WHEN l2.n >= p.lifetime_min_leavers THEN 2
                 WHEN l3.n > 0 THEN 3 END)::smallint AS level,
           l1.n AS n1, l1.typical AS t1, l2.n AS n2, l2.typical AS t2, l3.n AS n3, l3.typical AS t3
    FROM k
    CROSS JOIN nightly_w_param p
    LEFT JOIN l1 ON l1.bank_id = k.bank_id AND l1.region_id = k.region_id AND l1.industry_id = k.industry_id
    LEFT JOIN l2 ON l2.bank_id = k.bank_id AND l2.industry_id = k.industry_id
    LEFT JOIN l3 ON l3.group_id = k.group_id AND l3.currency = k.currency AND l3.industry_id = k.industry_id
)
SELECT pick.bank_id, pick.region_id, pick.industry_id,
       (CASE pick.level WHEN 1 THEN pick.t1 WHEN 2 THEN pick.t2 WHEN 3 THEN pick.t3 END)::float8 AS typical,
       (CASE pick.level WHEN 1 THEN pick.n1 WHEN 2 THEN pick.n2 WHEN 3 THEN pick.n3 END)::bigint AS leavers,
       pick.level,
       (CASE pick.level WHEN 1 THEN concat_ws(' / ', b.name, r.name, i.name)
                        WHEN 2 THEN concat_ws(' / ', b.name, i.name)
                        WHEN 3 THEN concat_ws(' / ', g.name || ' (' || pick.currency || ')', i.name) END) AS label
FROM pick
JOIN bank b ON b.id = pick.bank_id
JOIN region r ON r.id = pick.region_id
JOIN industry i ON i.id = pick.industry_id
JOIN banking_group g ON g.id = pick.group_id;

-- name: contact
-- What of the warnings depends on the run's day, per active client: its
-- contacts, counted to contacts_to (the run's day for a nightly run, so that a
-- call made today clears the signal today). The no-contact signal's measure
-- (days since the last contact, or since the client joined) and strength,
-- and the contacts of the last 12 months by who started them, complaints
-- among them: one pass over the contacts. Everything else of the signals and
-- inputs depends on the as-of month and the kept tables only, so a quick
-- night (nothing changed but the date) rebuilds this table alone and redates
-- the kept inputs with it (input-redate).
CREATE UNLOGGED TABLE nightly_w_contact AS
WITH ct AS (
    SELECT ct.client_id, {{include:contact-counts}}
    FROM contact ct
    CROSS JOIN nightly_w_param p
    WHERE ct.happened_at < p.contacts_to
      AND ct.client_id IN (SELECT client_id FROM nightly_w_client)
    GROUP BY ct.client_id
), v AS (
    SELECT c.client_id, ct.at::date AS contact_last,
           greatest(0, p.contacts_to - coalesce(ct.at::date, c.since))::float8 AS contact_value,
           ct.bank_started, ct.client_started, ct.complaints, p.no_contact_days
    FROM nightly_w_client c
    CROSS JOIN nightly_w_param p
    LEFT JOIN ct ON ct.client_id = c.client_id
)
SELECT v.client_id, v.contact_last, v.contact_value, least(1, v.contact_value / (2 * v.no_contact_days)) AS s_contact,
       v.bank_started, v.client_started, v.complaints
FROM v;

-- fragment: contact-counts
-- A client's contacts ct before the run's day p.contacts_to: the last, and
-- those of the 12 months before it by who started them, complaints among
-- them (contact and contact-redate count alike; put in place when the file
-- is read).
max(ct.happened_at) AS at,
count(*) FILTER (WHERE ct.proactive AND ct.happened_at >= (p.contacts_to - interval '12 months')) AS bank_started,
count(*) FILTER (WHERE NOT ct.proactive AND ct.happened_at >= (p.contacts_to - interval '12 months')) AS client_started,
count(*) FILTER (WHERE ct.outcome = 'complaint' AND ct.happened_at >= (p.contacts_to - interval '12 months'))
    AS complaints

-- name: contact-redate
-- A quick night's contacts: the kept table of the run before (no contact was
-- written since: that is logged and makes the night full), moved to the run's
-- day. A client's contacts counted to a day change between two days only
-- where one of its contacts crossed one of the days they are counted by: the
-- day itself (contacts before it count) or the same day a year before (the
-- counts of the last 12 months). Those clients (moved, found through
-- contact_happened_idx between the kept run's day, nightly_w_kept.contacts_to,
-- and this run's, either way round) are counted again as contact counts them;
-- every other client keeps its last contact and its counts, and its days since
-- the last contact (or since it joined) move by the days between the two runs:
-- the same integer contact gives, since its last contact is before both days
-- and it joined before the as-of month's end. Every kept run wrote its day
-- (migration 00033 emptied the kept runs before it). Built beside the kept
-- table and switched in for it (steps.go: rekeep), so that it equals what
-- contact would build (TestQuietNightMovesTheContactsToItsDay,
-- TestQuietNightMatchesAFullRun).
CREATE UNLOGGED TABLE nightly_w_contact_next AS
WITH span AS MATERIALIZED (
    SELECT k.contacts_to AS kept_to, p.contacts_to AS to_day, p.no_contact_days,
           least(k.contacts_to, p.contacts_to) AS lo, greatest(k.contacts_to, p.contacts_to) AS hi
    FROM nightly_w_param p
    CROSS JOIN nightly_w_kept k
), moved AS MATERIALIZED (
    -- scalar subqueries: the ranges are planned as the few rows they are
    SELECT ct.client_id FROM contact ct
    WHERE ct.happened_at >= (SELECT lo FROM span) AND ct.happened_at < (SELECT hi FROM span)
    UNION
    SELECT ct.client_id FROM contact ct
    WHERE ct.happened_at >= (SELECT lo - interval '12 months' FROM span)
      AND ct.happened_at < (SELECT hi - interval '12 months' FROM span)
), ct AS (
    SELECT ct.client_id, {{include:contact-counts}}
    FROM moved m
    JOIN contact ct ON ct.client_id = m.client_id
    CROSS JOIN nightly_w_param p
    WHERE ct.happened_at < p.contacts_to
    GROUP BY ct.client_id
), fresh AS (
    -- the moved clients among the kept ones, counted again
    SELECT o.client_id, ct.at::date AS contact_last,
           greatest(0, s.to_day - coalesce(ct.at::date, cl.since))::float8 AS contact_value,
           ct.bank_started, ct.client_started, ct.complaints
    FROM moved m
    JOIN nightly_w_contact o ON o.client_id = m.client_id
    JOIN client cl ON cl.id = m.client_id
    CROSS JOIN span s
    LEFT JOIN ct ON ct.client_id = m.client_id
), v AS (
    SELECT o.client_id, o.contact_last, o.contact_value + (s.to_day - s.kept_to) AS contact_value,
           o.bank_started, o.client_started, o.complaints
    FROM nightly_w_contact o
    CROSS JOIN span s
    WHERE o.client_id NOT IN (SELECT client_id FROM moved)
    UNION ALL
    SELECT * FROM fresh
)
SELECT v.client_id, v.contact_last, v.contact_value, least(1, v.contact_value / (2 * s.no_contact_days)) AS s_contact,
       v.bank_started, v.client_started, v.complaints
FROM v
CROSS JOIN span s;

-- name: signal
-- Every signal's measure and strength per active client but the no-contact
-- signal's (contact, above: it moves with the run's day, these do not).
-- Measures: the fall of turnover, balance and transactions (recent window
-- against the base window before it); days since the strongest product
-- closure (a key product weighs twice another) and since the latest one
-- (which makes the signal fire); months of income falling in a row; months
-- between tenure and the typical lifetime.
-- rfm_recency: months since the client last transacted at half its usual
-- level (the activity cell's R).
CREATE UNLOGGED TABLE nightly_w_signal AS
WITH closure AS (
    -- closures in the last twice the window, of products not held again
    -- (parameters as scalar subqueries, so that the scan of holding runs in
    -- parallel)
    SELECT h.client_id, h.product_id, h.closed_on, pr.key_product,
           ((SELECT cutoff FROM nightly_w_param) - h.closed_on) AS days
    FROM holding h
    JOIN nightly_w_client c ON c.client_id = h.client_id
    JOIN product pr ON pr.id = h.product_id
    WHERE h.closed_on < (SELECT cutoff FROM nightly_w_param)
      AND h.closed_on >= (SELECT cutoff - 2 * closed_days FROM nightly_w_param)
      AND NOT EXISTS (SELECT 1 FROM holding o
                      WHERE o.client_id = h.client_id AND o.product_id = h.product_id
                        AND o.opened_on < (SELECT cutoff FROM nightly_w_param)
                        AND (o.closed_on IS NULL OR o.closed_on >= (SELECT cutoff FROM nightly_w_param)))
), strongest AS (
    -- the strongest closure by the signal's rule; the latest one's age beside
    -- it, since any closure within the window makes the signal fire
    SELECT DISTINCT ON (client_id) client_id, product_id, closed_on, key_product, days,
           min(days) OVER (PARTITION BY client_id) AS recent
    FROM closure
    ORDER BY client_id,
             (CASE WHEN key_product THEN 2 ELSE 1 END)
             * (2 * (SELECT closed_days FROM nightly_w_param) - days) DESC,
             product_id
), v AS MATERIALIZED (
    SELECT c.client_id, c.bank_id, c.tenure_months,
           -- falls of the monthly averages, recent window against base window
           CASE WHEN c.turnover_base > 0 AND c.recent_months > 0
                THEN 1 - (c.turnover_recent::float8 / c.recent_months) / (c.turnover_base::float8 / c.base_months) END
               AS turnover_value,
           CASE WHEN c.balance_base > 0 AND c.recent_months > 0
                THEN 1 - (c.balance_recent::float8 / c.recent_months) / (c.balance_base::float8 / c.base_months) END
               AS balance_value,
           CASE WHEN c.tx_base > 0 AND c.recent_months > 0
                THEN 1 - (c.tx_recent::float8 / c.recent_months) / (c.tx_base::float8 / c.base_months) END
               AS tx_value,
           cl.product_id AS closed_product_id, cl.closed_on, cl.key_product AS closed_key,
           cl.days::float8 AS closed_value, cl.recent::float8 AS closed_recent,
           CASE WHEN cl.client_id IS NULL THEN 0
                ELSE (CASE WHEN cl.key_product THEN 1.0 ELSE 0.5 END)
                     * greatest(0, 1 - cl.days::float8 / (2 * p.closed_days)) END AS s_closed,
           run.n AS income_months, c.income_0 AS income_to,
           -- the income where the fall began
           CASE run.n WHEN 0 THEN c.income_0 WHEN 1 THEN c.income_1 WHEN 2 THEN c.income_2
                      WHEN 3 THEN c.income_3 WHEN 4 THEN c.income_4 WHEN 5 THEN c.income_5
                      WHEN 6 THEN c.income_6 WHEN 7 THEN c.income_7 WHEN 8 THEN c.income_8
                      WHEN 9 THEN c.income_9 WHEN 10 THEN c.income_10 WHEN 11 THEN c.income_11
                      WHEN 12 THEN c.income_12 END AS income_from,
           lt.typical AS lifetime_typical, lt.leavers AS lifetime_leavers, lt.level AS lifetime_level,
           lt.label AS lifetime_label, abs(c.tenure_months - lt.typical) AS lifetime_value,
           run.rfm_recency, c.profitability,
           c.tx_recent::float8 / nullif(c.recent_months, 0) AS tx_month,
           (c.income_recent::float8 / nullif(c.recent_months, 0))
               / nullif(c.income_base::float8 / nullif(c.base_months, 0), 0) - 1 AS income_trend,
           p.income_fall_months, p.lifetime_margin
    FROM nightly_w_client c
    CROSS JOIN nightly_w_param p
    CROSS JOIN LATERAL (
        -- months of income falling in a row up to the as-of month, at most
        -- warning.income_fall_months (written out: a subquery per client is slow)
        SELECT least(p.income_fall_months, CASE
                   WHEN NOT coalesce(c.income_0 < c.income_1, false) THEN 0
                   WHEN NOT coalesce(c.income_1 < c.income_2, false) THEN 1
                   WHEN NOT coalesce(c.income_2 < c.income_3, false) THEN 2
                   WHEN NOT coalesce(c.income_3 < c.income_4, false) THEN 3
                   WHEN NOT coalesce(c.income_4 < c.income_5, false) THEN 4
                   WHEN NOT coalesce(c.income_5 < c.income_6, false) THEN 5
                   WHEN NOT coalesce(c.income_6 < c.income_7, false) THEN 6
                   WHEN NOT coalesce(c.income_7 < c.income_8, false) THEN 7
                   WHEN NOT coalesce(c.income_8 < c.income_9, false) THEN 8
                   WHEN NOT coalesce(c.income_9 < c.income_10, false) THEN 9
                   WHEN NOT coalesce(c.income_10 < c.income_11, false) THEN 10
                   WHEN NOT coalesce(c.income_11 < c.income_12, false) THEN 11
                   ELSE 12 END) AS n,
               -- months since the client last transacted at half its usual level
               CASE WHEN c.tx_0 > 0 AND c.tx_0 >= 0.5 * c.avg_tx THEN 0
                    WHEN c.tx_1 > 0 AND c.tx_1 >= 0.5 * c.avg_tx THEN 1
                    WHEN c.tx_2 > 0 AND c.tx_2 >= 0.5 * c.avg_tx THEN 2
                    WHEN c.tx_3 > 0 AND c.tx_3 >= 0.5 * c.avg_tx THEN 3
                    WHEN c.tx_4 > 0 AND c.tx_4 >= 0.5 * c.avg_tx THEN 4
                    WHEN c.tx_5 > 0 AND c.tx_5 >= 0.5 * c.avg_tx THEN 5 END AS rfm_recency
    ) run
    LEFT JOIN strongest cl ON cl.client_id = c.client_id
    LEFT JOIN nightly_w_lifetime lt ON lt.bank_id = c.bank_id AND lt.region_id = c.region_id
                                   AND lt.industry_id = c.industry_id
)
SELECT v.client_id, v.bank_id, v.tenure_months, v.turnover_value, v.balance_value, v.tx_value,
       v.closed_product_id, v.closed_on, v.closed_key, v.closed_value, v.closed_recent, v.s_closed,
       v.income_months, v.income_from, v.income_to,
       CASE WHEN v.income_months > 0 AND v.income_from > 0 THEN 1 - v.income_to::float8 / v.income_from END AS income_fall,
       v.lifetime_typical, v.lifetime_leavers, v.lifetime_level, v.lifetime_label, v.lifetime_value,
       least(1, greatest(0, coalesce(v.turnover_value, 0))) AS s_turnover,
       least(1, greatest(0, coalesce(v.balance_value, 0))) AS s_balance,
       least(1, greatest(0, coalesce(v.tx_value, 0))) AS s_tx,
       CASE WHEN v.income_months > 0 AND v.income_from > 0
            THEN least(1, greatest(0, 1 - v.income_to::float8 / v.income_from))
                 * v.income_months / v.income_fall_months
            ELSE 0 END AS s_income,
       CASE WHEN v.lifetime_typical IS NULL THEN 0
            ELSE greatest(0, 1 - v.lifetime_value / (2 * greatest(v.lifetime_margin, 1))) END AS s_lifetime,
       v.rfm_recency, v.profitability, v.tx_month, v.income_trend
FROM v;

-- name: input
-- Every input of the churn model per active client, as one array in the
-- registry's order (the inputs marker below is filled from internal/warnings/inputs.go at
-- start, one expression per input, over these columns): the clients' 12-month
-- levels against their peers' (bank x industry x tenure band, backing off to
-- bank x industry and then the bank when fewer than 30 stand for it), the
-- products held, opened and closed, and the contacts (nightly_w_contact k).
-- A missing value (too few months to compare, no peers) is null, which the
-- model scores as a bin of its own.
CREATE UNLOGGED TABLE nightly_w_input AS
WITH lvl AS MATERIALIZED (
    SELECT c.client_id, c.bank_id, c.industry_id, c.band, c.ref,
           c.turnover_sum12::float8 / nullif(c.m12, 0) AS turnover_avg,
           c.tx_sum12::float8 / nullif(c.m12, 0) AS tx_avg,
           c.balance_sum12::float8 / nullif(c.m12, 0) AS balance_avg,
           c.income_sum12::float8 / nullif(c.m12, 0) AS income_avg
    FROM nightly_w_client c
), peer3 AS (
    SELECT bank_id, industry_id, band, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY turnover_avg) AS turnover,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY tx_avg) AS tx,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY balance_avg) AS balance,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY income_avg) AS income
    FROM lvl WHERE ref GROUP BY bank_id, industry_id, band
), peer2 AS (
    SELECT bank_id, industry_id, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY turnover_avg) AS turnover,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY tx_avg) AS tx,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY balance_avg) AS balance,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY income_avg) AS income
    FROM lvl WHERE ref GROUP BY bank_id, industry_id
), peer1 AS (
    SELECT bank_id, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY turnover_avg) AS turnover,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY tx_avg) AS tx,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY balance_avg) AS balance,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY income_avg) AS income
    FROM lvl WHERE ref GROUP BY bank_id
), peer AS (
    SELECT l.client_id,
           CASE WHEN p3.n >= 30 THEN p3.turnover WHEN p2.n >= 30 THEN p2.turnover ELSE p1.turnover END AS turnover,
           CASE WHEN p3.n >= 30 THEN p3.tx WHEN p2.n >= 30 THEN p2.tx ELSE p1.tx END AS tx,
           CASE WHEN p3.n >= 30 THEN p3.balance WHEN p2.n >= 30 THEN p2.balance ELSE p1.balance END AS balance,
           CASE WHEN p3.n >= 30 THEN p3.income WHEN p2.n >= 30 THEN p2.income ELSE p1.income END AS income
    FROM lvl l
    LEFT JOIN peer3 p3 ON p3.bank_id = l.bank_id AND p3.industry_id = l.industry_id AND p3.band = l.band
    LEFT JOIN peer2 p2 ON p2.bank_id = l.bank_id AND p2.industry_id = l.industry_id
    LEFT JOIN peer1 p1 ON p1.bank_id = l.bank_id
), prod AS (
    -- products held at the end of the as-of month, key ones among them, and
    -- the products opened and closed (and not held again) in the last 6 and
    -- 12 months
    SELECT h.client_id,
           count(*) FILTER (WHERE h.opened_on >= (p.cutoff - interval '12 months')::date) AS opened_12,
           count(*) FILTER (WHERE h.closed_on >= (p.cutoff - interval '6 months')::date AND h.closed_on < p.cutoff)
               AS closed_6,
           count(*) FILTER (WHERE h.closed_on >= (p.cutoff - interval '12 months')::date AND h.closed_on < p.cutoff)
               AS closed_12,
           count(*) FILTER (WHERE pr.key_product AND (h.closed_on IS NULL OR h.closed_on >= p.cutoff)) AS key_held
    FROM holding h
    JOIN product pr ON pr.id = h.product_id
    CROSS JOIN nightly_w_param p
    WHERE h.opened_on < p.cutoff
      AND (h.closed_on IS NULL OR h.closed_on >= (p.cutoff - interval '12 months')::date)
      AND h.client_id IN (SELECT client_id FROM nightly_w_client)
    GROUP BY h.client_id
)
SELECT c.client_id, c.bank_id, ARRAY[{{inputs}}]::float8[] AS x
FROM nightly_w_client c
JOIN nightly_w_signal s ON s.client_id = c.client_id
JOIN lvl l ON l.client_id = c.client_id
JOIN peer pe ON pe.client_id = c.client_id
LEFT JOIN prod pd ON pd.client_id = c.client_id
JOIN nightly_w_contact k ON k.client_id = c.client_id;

-- name: input-redate
-- A quick night's inputs: the kept inputs of the night before (nothing they
-- read has changed), with the dated ones (internal/warnings/inputs.go: Dated,
-- over the contacts k alone) computed again for the run's day. Every other
-- element is copied as it is, so the array equals what input would build
-- (TestQuietNightMatchesAFullRun). Built beside the kept table and switched
-- in for it (steps.go: redate).
CREATE UNLOGGED TABLE nightly_w_input_next AS
SELECT i.client_id, i.bank_id, ARRAY[{{redated}}]::float8[] AS x
FROM nightly_w_input i
JOIN nightly_w_contact k ON k.client_id = i.client_id;

-- name: rfm
-- Each client's activity cell, RFM style, each score 1-5: R from the months
-- since the client last transacted at half its usual monthly level (0: 5,
-- 1: 4, 2: 3, 3-5: 2, longer: 1); F and M the quintile within its bank of
-- transactions a month over the recent window and of profitability. It reads
-- the signals alone, none of them dated, so a quick night keeps it.
CREATE UNLOGGED TABLE nightly_w_rfm AS
WITH q AS (
    SELECT s.client_id,
           (CASE WHEN s.rfm_recency = 0 THEN 5 WHEN s.rfm_recency = 1 THEN 4 WHEN s.rfm_recency = 2 THEN 3
                 WHEN s.rfm_recency IS NOT NULL THEN 2 ELSE 1 END)::smallint AS rfm_r,
           ntile(5) OVER (PARTITION BY s.bank_id ORDER BY coalesce(s.tx_month, 0), s.client_id)::smallint AS rfm_f,
           ntile(5) OVER (PARTITION BY s.bank_id ORDER BY s.profitability, s.client_id)::smallint AS rfm_m
    FROM nightly_w_signal s
)
SELECT q.client_id, q.rfm_r, q.rfm_f, q.rfm_m,
       CASE WHEN q.rfm_r = 1 THEN 'lost'
            WHEN q.rfm_r >= 4 AND q.rfm_f >= 4 AND q.rfm_m >= 4 THEN 'champions'
            WHEN q.rfm_r <= 2 AND q.rfm_m = 5 THEN 'cannot_lose'
            WHEN q.rfm_r <= 2 AND q.rfm_m >= 3 THEN 'at_risk'
            WHEN q.rfm_r <= 2 THEN 'hibernating'
            WHEN q.rfm_f >= 3 AND q.rfm_m >= 3 THEN 'loyal'
            WHEN q.rfm_r >= 4 AND q.rfm_m <= 2 THEN 'promising'
            ELSE 'needs_attention' END AS activity
FROM q;

-- name: level
-- Each client's churn level from the score the run gave it, and from the same
-- figures its lifecycle stage, beside its activity cell (rfm).
-- Stage: onboarding in the first stage.onboarding_months; decline when the
-- warning is high or income of the recent window fell by stage.trend_change
-- against the base window; ramp-up when it rose by as much; plateau otherwise.
CREATE UNLOGGED TABLE nightly_w_level AS
WITH q AS (
    SELECT s.client_id, s.tenure_months, s.income_trend, sc.score, sc.probability, sc.z, sc.model_id,
           CASE WHEN sc.score >= p.level_high THEN 'high' WHEN sc.score >= p.level_watch THEN 'watch' END AS level
    FROM nightly_w_signal s
    JOIN nightly_w_score sc ON sc.client_id = s.client_id
    CROSS JOIN nightly_w_param p
)
SELECT q.client_id, q.score, q.probability, q.z, q.model_id, q.level,
       CASE WHEN q.tenure_months < p.onboarding_months THEN 'onboarding'
            WHEN q.level = 'high' OR q.income_trend <= -p.stage_trend THEN 'decline'
            WHEN q.income_trend >= p.stage_trend THEN 'ramp_up'
            ELSE 'plateau' END AS stage,
       r.rfm_r, r.rfm_f, r.rfm_m, r.activity
FROM q
JOIN nightly_w_rfm r ON r.client_id = q.client_id
CROSS JOIN nightly_w_param p;
