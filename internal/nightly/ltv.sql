-- The LTV step: every used segment's churn rate and expected remaining years.

-- name: churn
-- Churn rate = clients that left in the 12 months to the end of the as-of
-- month / clients active at their start, counted over the segment's own
-- definition, each client by its tenure band at the start. Expected remaining
-- years = min(1 / churn rate, ltv.max_years); unknown (null) when no client
-- was active at the start.
CREATE UNLOGGED TABLE nightly_w_churn AS
WITH base AS (
    SELECT c.group_id, b.currency, c.bank_id, c.region_id, c.industry_id,
           (CASE WHEN c.since > t.from6 THEN 0 WHEN c.since > t.from12 THEN 1 WHEN c.since > t.from24 THEN 2
                 WHEN c.since > t.from36 THEN 3 ELSE 4 END)::smallint AS band,
           (c.left_on IS NOT NULL AND c.left_on < t.cutoff) AS gone
    FROM client c
    JOIN bank b ON b.id = c.bank_id
    -- The band by the full months from joining to churn_from (the first of a
    -- month), as age() counts them: fewer than k months when the client
    -- joined after churn_from - k months. Compared as dates, once each; age()
    -- (or date_part) on every client, once per band, took seconds at 1 M
    -- clients.
    CROSS JOIN (SELECT p.cutoff, p.churn_from, (p.churn_from - interval '6 months')::date AS from6,
                       (p.churn_from - interval '12 months')::date AS from12,
                       (p.churn_from - interval '24 months')::date AS from24,
                       (p.churn_from - interval '36 months')::date AS from36
                FROM nightly_w_param p) t
    WHERE c.since < t.churn_from AND (c.left_on IS NULL OR c.left_on >= t.churn_from)
), agg AS (
    -- the four levels' counts in one pass (grouping sets, rather than the
    -- clients materialized and read four times); a level's coarser key
    -- columns are null, as the segment's are
    SELECT (CASE grouping(bank_id, region_id, band) WHEN 0 THEN 1 WHEN 2 THEN 2 WHEN 3 THEN 3 ELSE 4 END) AS level,
           group_id, currency, bank_id, region_id, industry_id, band,
           count(*) AS n, count(*) FILTER (WHERE gone) AS gone
    FROM base
    GROUP BY GROUPING SETS ((group_id, currency, bank_id, region_id, industry_id, band),
                            (group_id, currency, bank_id, industry_id, band),
                            (group_id, currency, bank_id, industry_id),
                            (group_id, currency, industry_id))
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
