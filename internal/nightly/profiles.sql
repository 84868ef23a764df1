-- The profiles step: each segment's best clients, ideal profitability, and the
-- adoption and value of every product held in it; and the segment each one
-- takes its ideal profile from.

-- name: segment
-- Per used segment: its size, the clients whose own segment it is, its best
-- clients (band A with at least profile.best_min_tenure_months of tenure) and
-- the median monthly income of those: the ideal profitability. profile_id is
-- the segment whose ideal profile applies to its clients: itself when it has
-- at least profile.min_best_clients best clients, else the finest coarser
-- segment of its clients that has (null when none has: no ideal yet).
CREATE UNLOGGED TABLE nightly_w_segment AS
WITH agg AS (
    SELECT m.segment_id, s.level, s.group_id, s.bank_id,
           count(*) AS size,
           count(*) FILTER (WHERE m.assigned) AS assigned,
           count(*) FILTER (WHERE m.best) AS best,
           coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY m.profitability) FILTER (WHERE m.best)), 0)::bigint AS ideal_income,
           round(avg(m.profitability))::bigint AS avg_income
    FROM nightly_w_member m
    JOIN segment s ON s.id = m.segment_id
    GROUP BY m.segment_id, s.level, s.group_id, s.bank_id
), chain AS (
    -- every used segment with itself and the used segments coarser than it
    -- (all the keys of a segment share its coarser segments)
    SELECT DISTINCT x.segment_id, y.segment_id AS candidate, y.level AS candidate_level
    FROM nightly_w_keyseg ks
    CROSS JOIN LATERAL (VALUES (ks.seg1, 1), (ks.seg2, 2), (ks.seg3, 3), (ks.seg4, 4)) AS x(segment_id, level)
    CROSS JOIN LATERAL (VALUES (ks.seg1, 1), (ks.seg2, 2), (ks.seg3, 3), (ks.seg4, 4)) AS y(segment_id, level)
    WHERE x.segment_id IS NOT NULL AND y.segment_id IS NOT NULL AND y.level >= x.level
), pick AS (
    SELECT DISTINCT ON (c.segment_id) c.segment_id, c.candidate
    FROM chain c
    JOIN agg a ON a.segment_id = c.candidate
    CROSS JOIN nightly_w_param p
    WHERE a.best >= p.min_best_clients
    ORDER BY c.segment_id, c.candidate_level
)
SELECT a.segment_id, a.level, a.group_id, a.bank_id, a.size, a.assigned, a.best, a.ideal_income, a.avg_income,
       pick.candidate AS profile_id
FROM agg a
LEFT JOIN pick ON pick.segment_id = a.segment_id;

-- name: segment-product
-- Per segment and product held in it: holders, best holders, adoption (share
-- of the best clients that hold it), whether it is in the ideal set (adoption
-- at least profile.ideal_adoption, at least profile.min_best_holders best
-- holders, and a segment with at least profile.min_best_clients best clients)
-- and its value: the median, over the segment's holders, of the average
-- monthly income it brought each over the profitability window (or since it
-- was taken).
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
       (s.best >= p.min_best_clients AND s.best > 0 AND a.best_holders >= p.ideal_adoption * s.best
        AND a.best_holders >= p.min_best_holders) AS in_ideal,
       a.value_holders,
       coalesce(round(a.value), 0)::bigint AS value
FROM agg a
JOIN nightly_w_segment s ON s.segment_id = a.segment_id
CROSS JOIN nightly_w_param p;
