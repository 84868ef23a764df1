-- The profiles step: each segment's best clients, ideal profitability, and the
-- adoption and value of every product held in it.

-- name: segment
-- Per used segment: its size, the clients whose own segment it is, its best
-- clients (band A with at least profile.best_min_tenure_months of tenure) and
-- the median monthly income of those: the ideal profitability.
CREATE UNLOGGED TABLE nightly_w_segment AS
SELECT m.segment_id, s.level, s.group_id, s.bank_id,
       count(*) AS size,
       count(*) FILTER (WHERE m.assigned) AS assigned,
       count(*) FILTER (WHERE m.best) AS best,
       coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY m.profitability) FILTER (WHERE m.best)), 0)::bigint AS ideal_income,
       round(avg(m.profitability))::bigint AS avg_income
FROM nightly_w_member m
JOIN segment s ON s.id = m.segment_id
GROUP BY m.segment_id, s.level, s.group_id, s.bank_id;

-- name: segment-product
-- Per segment and product held in it: holders, best holders, adoption (share
-- of the best clients that hold it), whether it is in the ideal set, and its
-- value: the median monthly income it brought, in the as-of month, to the
-- segment's clients that held it all that month.
CREATE UNLOGGED TABLE nightly_w_segment_product AS
WITH held AS (
    SELECT m.segment_id, m.best, unnest(m.held) AS product_id, unnest(m.held_income) AS income
    FROM nightly_w_member m
), agg AS (
    SELECT segment_id, product_id, count(*) AS holders, count(*) FILTER (WHERE best) AS best_holders,
           count(income) AS value_holders,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY income) AS value
    FROM held
    GROUP BY segment_id, product_id
)
SELECT a.segment_id, a.product_id, a.holders, a.best_holders,
       CASE WHEN s.best > 0 THEN a.best_holders::float8 / s.best ELSE 0 END AS adoption,
       (s.best > 0 AND a.best_holders >= p.ideal_adoption * s.best) AS in_ideal,
       a.value_holders,
       coalesce(round(a.value), 0)::bigint AS value
FROM agg a
JOIN nightly_w_segment s ON s.segment_id = a.segment_id
CROSS JOIN nightly_w_param p;
