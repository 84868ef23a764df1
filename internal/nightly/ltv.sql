-- The LTV step: every used segment's churn rate and expected remaining years.

-- name: churn
-- Churn rate = clients that left in the 12 months to the end of the as-of
-- month / clients active at their start, counted over the segment's own
-- definition, each client by its tenure band at the start. Expected remaining
-- years = min(1 / churn rate, ltv.max_years); unknown (null) when no client
-- was active at the start.
CREATE UNLOGGED TABLE nightly_w_churn AS
WITH base AS MATERIALIZED (
    SELECT c.group_id, b.currency, c.bank_id, c.region_id, c.industry_id,
           (CASE WHEN t.months < 6 THEN 0 WHEN t.months < 12 THEN 1 WHEN t.months < 24 THEN 2
                 WHEN t.months < 36 THEN 3 ELSE 4 END)::smallint AS band,
           (c.left_on IS NOT NULL AND c.left_on < p.cutoff) AS gone
    FROM client c
    JOIN bank b ON b.id = c.bank_id
    CROSS JOIN nightly_w_param p
    CROSS JOIN LATERAL (SELECT (extract(year FROM age(p.churn_from, c.since)) * 12
                                + extract(month FROM age(p.churn_from, c.since)))::integer AS months) t
    WHERE c.since < p.churn_from AND (c.left_on IS NULL OR c.left_on >= p.churn_from)
), agg AS (
    SELECT 1 AS level, group_id, currency, bank_id, region_id, industry_id, band,
           count(*) AS n, count(*) FILTER (WHERE gone) AS gone
    FROM base GROUP BY group_id, currency, bank_id, region_id, industry_id, band
    UNION ALL
    SELECT 2, group_id, currency, bank_id, NULL, industry_id, band, count(*), count(*) FILTER (WHERE gone)
    FROM base GROUP BY group_id, currency, bank_id, industry_id, band
    UNION ALL
    SELECT 3, group_id, currency, bank_id, NULL, industry_id, NULL, count(*), count(*) FILTER (WHERE gone)
    FROM base GROUP BY group_id, currency, bank_id, industry_id
    UNION ALL
    SELECT 4, group_id, currency, NULL, NULL, industry_id, NULL, count(*), count(*) FILTER (WHERE gone)
    FROM base GROUP BY group_id, currency, industry_id
)
SELECT s.segment_id, coalesce(a.n, 0) AS churn_base, coalesce(a.gone, 0) AS churn_leavers,
       a.gone::float8 / nullif(a.n, 0) AS churn_rate,
       CASE WHEN a.n > 0 THEN coalesce(round(least(a.n::numeric / nullif(a.gone, 0), p.ltv_max_years), 4), p.ltv_max_years)
            END AS expected_years
FROM nightly_w_segment s
JOIN segment sg ON sg.id = s.segment_id
CROSS JOIN nightly_w_param p
LEFT JOIN agg a ON a.level = sg.level AND a.group_id = sg.group_id AND a.currency = sg.currency
               AND a.industry_id = sg.industry_id AND a.bank_id IS NOT DISTINCT FROM sg.bank_id
               AND a.region_id IS NOT DISTINCT FROM sg.region_id AND a.band IS NOT DISTINCT FROM sg.tenure_band;
