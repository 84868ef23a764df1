-- The warnings step: every churn signal of every active client, its strength
-- (0 to 1: how strongly the client shows the sign, not only whether it fired),
-- the churn score: 100 / (1 + e^-(intercept + sum of weight x strength)) and
-- its level; and, from the same figures, the client's lifecycle stage and
-- activity cell.

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

-- name: signal
-- Every signal's measure and strength per active client, the weighted sum,
-- the score and the level. Measures: the fall of turnover, balance and
-- transactions (recent window against the base window before it); days since
-- the worst product closure (a key product weighs twice another); months of
-- income falling in a row; months between tenure and the typical lifetime;
-- days since the last contact (or since the client joined).
-- Stage: onboarding in the first stage.onboarding_months; decline when the
-- warning is high or income of the recent window fell by stage.trend_change
-- against the base window; ramp-up when it rose by as much; plateau otherwise.
-- Activity cell, RFM style, each score 1-5: R from the months since the client
-- last transacted at half its usual monthly level (0: 5, 1: 4, 2: 3, 3-5: 2,
-- longer: 1); F and M the quintile within its bank of transactions a month
-- over the recent window and of profitability.
CREATE UNLOGGED TABLE nightly_w_signal AS
WITH closure AS (
    -- the worst closure: the strongest by the signal's rule (parameters as
    -- scalar subqueries, so that the scan of holding runs in parallel)
    SELECT DISTINCT ON (h.client_id) h.client_id, h.product_id, h.closed_on, pr.key_product,
           ((SELECT cutoff FROM nightly_w_param) - h.closed_on) AS days
    FROM holding h
    JOIN nightly_w_client c ON c.client_id = h.client_id
    JOIN product pr ON pr.id = h.product_id
    WHERE h.closed_on < (SELECT cutoff FROM nightly_w_param)
      AND h.closed_on >= (SELECT cutoff - 2 * closed_days FROM nightly_w_param)
      -- a product closed and held again is no closure
      AND NOT EXISTS (SELECT 1 FROM holding o
                      WHERE o.client_id = h.client_id AND o.product_id = h.product_id
                        AND o.opened_on < (SELECT cutoff FROM nightly_w_param)
                        AND (o.closed_on IS NULL OR o.closed_on >= (SELECT cutoff FROM nightly_w_param)))
    ORDER BY h.client_id,
             (CASE WHEN pr.key_product THEN 2 ELSE 1 END)
             * (2 * (SELECT closed_days FROM nightly_w_param) - ((SELECT cutoff FROM nightly_w_param) - h.closed_on)) DESC,
             h.product_id
), last_contact AS (
    SELECT ct.client_id, max(ct.happened_at) AS at
    FROM contact ct
    WHERE ct.happened_at < (SELECT cutoff FROM nightly_w_param)
    GROUP BY ct.client_id
), v AS MATERIALIZED (
    SELECT c.client_id, c.tenure_months,
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
           cl.days::float8 AS closed_value,
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
           lc.at::date AS contact_last,
           (p.cutoff - coalesce(lc.at::date, c.since))::float8 AS contact_value,
           run.rfm_recency, c.bank_id, c.profitability,
           c.tx_recent::float8 / nullif(c.recent_months, 0) AS tx_month,
           (c.income_recent::float8 / nullif(c.recent_months, 0))
               / nullif(c.income_base::float8 / nullif(c.base_months, 0), 0) - 1 AS income_trend,
           p.income_fall_months, p.lifetime_margin, p.no_contact_days
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
    LEFT JOIN closure cl ON cl.client_id = c.client_id
    LEFT JOIN last_contact lc ON lc.client_id = c.client_id
    LEFT JOIN nightly_w_lifetime lt ON lt.bank_id = c.bank_id AND lt.region_id = c.region_id
                                   AND lt.industry_id = c.industry_id
), s AS (
    SELECT v.*,
           least(1, greatest(0, coalesce(v.turnover_value, 0))) AS s_turnover,
           least(1, greatest(0, coalesce(v.balance_value, 0))) AS s_balance,
           least(1, greatest(0, coalesce(v.tx_value, 0))) AS s_tx,
           CASE WHEN v.income_months > 0 AND v.income_from > 0
                THEN least(1, greatest(0, 1 - v.income_to::float8 / v.income_from))
                     * v.income_months / v.income_fall_months
                ELSE 0 END AS s_income,
           CASE WHEN v.lifetime_typical IS NULL THEN 0
                ELSE greatest(0, 1 - v.lifetime_value / (2 * greatest(v.lifetime_margin, 1))) END AS s_lifetime,
           least(1, v.contact_value / (2 * v.no_contact_days)) AS s_contact
    FROM v
), z AS (
    SELECT s.*, w.weighted, p.w_intercept + w.weighted AS z,
           round(100 / (1 + exp(-(p.w_intercept + w.weighted))))::smallint AS score
    FROM s
    CROSS JOIN nightly_w_param p
    CROSS JOIN LATERAL (
        SELECT p.w_turnover * s.s_turnover + p.w_balance * s.s_balance + p.w_tx * s.s_tx
               + p.w_closed * s.s_closed + p.w_income * s.s_income + p.w_lifetime * s.s_lifetime
               + p.w_contact * s.s_contact AS weighted) w
), q AS (
    SELECT z.*,
           CASE WHEN z.score >= p.level_high THEN 'high' WHEN z.score >= p.level_watch THEN 'watch' END AS level,
           (CASE WHEN z.rfm_recency = 0 THEN 5 WHEN z.rfm_recency = 1 THEN 4 WHEN z.rfm_recency = 2 THEN 3
                 WHEN z.rfm_recency IS NOT NULL THEN 2 ELSE 1 END)::smallint AS rfm_r,
           ntile(5) OVER (PARTITION BY z.bank_id ORDER BY coalesce(z.tx_month, 0), z.client_id)::smallint AS rfm_f,
           ntile(5) OVER (PARTITION BY z.bank_id ORDER BY z.profitability, z.client_id)::smallint AS rfm_m
    FROM z CROSS JOIN nightly_w_param p
)
SELECT q.client_id, q.tenure_months, q.turnover_value, q.balance_value, q.tx_value,
       q.closed_product_id, q.closed_on, q.closed_key, q.closed_value, q.s_closed,
       q.income_months, q.income_from, q.income_to,
       CASE WHEN q.income_months > 0 AND q.income_from > 0 THEN 1 - q.income_to::float8 / q.income_from END AS income_fall,
       q.lifetime_typical, q.lifetime_leavers, q.lifetime_level, q.lifetime_label, q.lifetime_value,
       q.contact_last, q.contact_value,
       q.s_turnover, q.s_balance, q.s_tx, q.s_income, q.s_lifetime, q.s_contact,
       q.z, q.weighted, q.score, q.level, q.income_trend,
       CASE WHEN q.tenure_months < p.onboarding_months THEN 'onboarding'
            WHEN q.level = 'high' OR q.income_trend <= -p.stage_trend THEN 'decline'
            WHEN q.income_trend >= p.stage_trend THEN 'ramp_up'
            ELSE 'plateau' END AS stage,
       q.rfm_r, q.rfm_f, q.rfm_m,
       CASE WHEN q.rfm_r = 1 THEN 'lost'
            WHEN q.rfm_r >= 4 AND q.rfm_f >= 4 AND q.rfm_m >= 4 THEN 'champions'
            WHEN q.rfm_r <= 2 AND q.rfm_m = 5 THEN 'cannot_lose'
            WHEN q.rfm_r <= 2 AND q.rfm_m >= 3 THEN 'at_risk'
            WHEN q.rfm_r <= 2 THEN 'hibernating'
            WHEN q.rfm_f >= 3 AND q.rfm_m >= 3 THEN 'loyal'
            WHEN q.rfm_r >= 4 AND q.rfm_m <= 2 THEN 'promising'
            ELSE 'needs_attention' END AS activity
FROM q CROSS JOIN nightly_w_param p;
