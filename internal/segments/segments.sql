-- Reads of the segments the nightly run published. Every query that returns
-- client data carries the marker "{{scope:c}}", replaced by the
-- viewer's access.ClientScope over client c.

-- name: list
-- A page of the segments of a group. $1 group, $2 bank (0: every bank; a
-- group-level segment shows under every bank of its currency), $3 level (0:
-- every level), $4 sort key, $5 descending, $6 limit, $7 offset.
SELECT sn.id, sn.level, sn.group_id, sn.group_name, sn.currency, sn.minor_digits, coalesce(sn.bank_id, 0),
       coalesce(sn.bank_code, ''), coalesce(sn.bank_name, ''), coalesce(sn.region_id, 0), coalesce(sn.region_name, ''),
       sn.industry_id, sn.industry_code, sn.industry_name, sn.tenure_band IS NOT NULL, coalesce(sn.tenure_band, 0),
       sn.label,
       sp.as_of, sp.size, sp.assigned, sp.best_clients, sp.ideal_income, sp.avg_income, sp.ideal_product_ids,
       sp.churn_base, sp.churn_leavers, sp.churn_rate, sp.expected_years::float8, sp.ltv,
       coalesce(sp.profile_segment_id, 0), coalesce(pn.label, ''),
       count(*) OVER ()::integer
FROM segment_profile sp
JOIN segment_named sn ON sn.id = sp.segment_id
LEFT JOIN segment_named pn ON pn.id = sp.profile_segment_id
WHERE sn.group_id = $1
  AND ($2::smallint = 0 OR sn.bank_id = $2
       OR (sn.level = 4 AND sn.currency = (SELECT b.currency FROM bank b WHERE b.id = $2)))
  AND ($3::smallint = 0 OR sn.level = $3)
ORDER BY
    CASE WHEN $4::text = 'label' AND NOT $5::boolean THEN sn.label END,
    CASE WHEN $4::text = 'label' AND $5::boolean THEN sn.label END DESC,
    CASE WHEN $4::text = 'size' AND NOT $5::boolean THEN sp.size END,
    CASE WHEN $4::text = 'size' AND $5::boolean THEN sp.size END DESC,
    CASE WHEN $4::text = 'best_clients' AND NOT $5::boolean THEN sp.best_clients END,
    CASE WHEN $4::text = 'best_clients' AND $5::boolean THEN sp.best_clients END DESC,
    CASE WHEN $4::text = 'ideal_income' AND NOT $5::boolean THEN sp.ideal_income END,
    CASE WHEN $4::text = 'ideal_income' AND $5::boolean THEN sp.ideal_income END DESC,
    CASE WHEN $4::text = 'churn_rate' AND NOT $5::boolean THEN sp.churn_rate END,
    CASE WHEN $4::text = 'churn_rate' AND $5::boolean THEN sp.churn_rate END DESC NULLS LAST,
    CASE WHEN $4::text = 'ltv' AND NOT $5::boolean THEN sp.ltv END,
    CASE WHEN $4::text = 'ltv' AND $5::boolean THEN sp.ltv END DESC NULLS LAST,
    sn.label, sp.segment_id
LIMIT $6 OFFSET $7;

-- name: list-after
-- The API's segments, largest first, after a key (the API's cursor): the
-- order of list sorted by size descending. $1 group, $2 bank, $3 level as
-- there; $4 the size, $5 the label and $6 the id of the last segment of the
-- previous page; $7 limit. No count: a walk reads it once, on its first page
-- (list). A group has some hundreds of segments, so the rows of the group are
-- sorted in memory; the keyset keeps a walk stable, not faster.
SELECT sn.id, sn.level, sn.group_id, sn.group_name, sn.currency, sn.minor_digits, coalesce(sn.bank_id, 0),
       coalesce(sn.bank_code, ''), coalesce(sn.bank_name, ''), coalesce(sn.region_id, 0), coalesce(sn.region_name, ''),
       sn.industry_id, sn.industry_code, sn.industry_name, sn.tenure_band IS NOT NULL, coalesce(sn.tenure_band, 0),
       sn.label,
       sp.as_of, sp.size, sp.assigned, sp.best_clients, sp.ideal_income, sp.avg_income, sp.ideal_product_ids,
       sp.churn_base, sp.churn_leavers, sp.churn_rate, sp.expected_years::float8, sp.ltv,
       coalesce(sp.profile_segment_id, 0), coalesce(pn.label, ''),
       0
FROM segment_profile sp
JOIN segment_named sn ON sn.id = sp.segment_id
LEFT JOIN segment_named pn ON pn.id = sp.profile_segment_id
WHERE sn.group_id = $1
  AND ($2::smallint = 0 OR sn.bank_id = $2
       OR (sn.level = 4 AND sn.currency = (SELECT b.currency FROM bank b WHERE b.id = $2)))
  AND ($3::smallint = 0 OR sn.level = $3)
  AND sp.size <= $4::integer
  AND (sp.size < $4::integer OR (sn.label, sp.segment_id) > ($5::text, $6::bigint))
ORDER BY sp.size DESC, sn.label, sp.segment_id
LIMIT $7;

-- name: get
-- One segment of a group. $1 group, $2 segment.
SELECT sn.id, sn.level, sn.group_id, sn.group_name, sn.currency, sn.minor_digits, coalesce(sn.bank_id, 0),
       coalesce(sn.bank_code, ''), coalesce(sn.bank_name, ''), coalesce(sn.region_id, 0), coalesce(sn.region_name, ''),
       sn.industry_id, sn.industry_code, sn.industry_name, sn.tenure_band IS NOT NULL, coalesce(sn.tenure_band, 0),
       sn.label,
       sp.as_of, sp.size, sp.assigned, sp.best_clients, sp.ideal_income, sp.avg_income, sp.ideal_product_ids,
       sp.churn_base, sp.churn_leavers, sp.churn_rate, sp.expected_years::float8, sp.ltv,
       coalesce(sp.profile_segment_id, 0), coalesce(pn.label, ''),
       1
FROM segment_profile sp
JOIN segment_named sn ON sn.id = sp.segment_id
LEFT JOIN segment_named pn ON pn.id = sp.profile_segment_id
WHERE sn.group_id = $1 AND sp.segment_id = $2;

-- name: segment
-- A segment's labels. $1 segment.
SELECT sn.id, sn.level, sn.group_id, sn.group_name, sn.currency, sn.minor_digits, coalesce(sn.bank_id, 0),
       coalesce(sn.bank_code, ''), coalesce(sn.bank_name, ''), coalesce(sn.region_id, 0), coalesce(sn.region_name, ''),
       sn.industry_id, sn.industry_code, sn.industry_name, sn.tenure_band IS NOT NULL, coalesce(sn.tenure_band, 0),
       sn.label
FROM segment_named sn
WHERE sn.id = $1;

-- name: products
-- The products of segments, by adoption. $1 segments, $2 only the ideal set.
SELECT sp.segment_id, sp.product_id, p.code, p.name, sp.holders, sp.best_holders, sp.adoption, sp.in_ideal,
       sp.value_holders, sp.value
FROM segment_product sp
JOIN product p ON p.id = sp.product_id
WHERE sp.segment_id = ANY ($1::bigint[]) AND (NOT $2::boolean OR sp.in_ideal)
ORDER BY sp.segment_id, sp.adoption DESC, sp.product_id;

-- name: stages
-- A segment's clients and LTV by lifecycle stage. $1 segment.
SELECT stage, clients, avg_income, ltv
FROM segment_stage
WHERE segment_id = $1
ORDER BY array_position(ARRAY['onboarding', 'ramp_up', 'plateau', 'decline'], stage);

-- name: standing
-- A client's standing. $1 client.
SELECT c.id, c.left_on, b.currency, b.minor_digits, cs.segment_id, cs.as_of,
       sp.size, sp.best_clients, cs.tenure_months, cs.tenure_band, cs.profit_months, cs.profitability,
       cs.profit_band::text, cs.ideal_income, cs.gap, cs.score, cs.stage, cs.income_recent, cs.income_base,
       cs.rfm_r, cs.rfm_f, cs.rfm_m, cs.activity, cs.churn_score, cs.warning_level, cs.churn_rate,
       cs.expected_years::float8, sp.ltv, cs.clv, cs.profile_segment_id, pp.best_clients,
       sp.churn_base, sp.churn_leavers, sp.avg_income, b.discount_rate::float8
FROM client c
JOIN bank b ON b.id = c.bank_id
LEFT JOIN client_score cs ON cs.client_id = c.id
LEFT JOIN segment_profile sp ON sp.segment_id = cs.segment_id
LEFT JOIN segment_profile pp ON pp.segment_id = cs.profile_segment_id
WHERE c.id = $1 AND {{scope:c}};

-- name: standing-ideal
-- A client against the ideal set of the segment whose profile applies: held
-- at the end of the as-of month, and the average monthly income each brought
-- it over the profitability window (segment.profit_window_months) or since it
-- was taken, as the product's value is measured. $1 client, $2 segment, $3
-- as-of month.
SELECT sp.product_id, p.code, p.name, sp.holders, sp.best_holders, sp.adoption, sp.in_ideal, sp.value_holders,
       sp.value, h.opened_on IS NOT NULL AS held,
       coalesce(round((SELECT sum(u.income)
                       FROM monthly_fact f, unnest(f.product_ids, f.product_income) AS u(product_id, income)
                       WHERE f.client_id = c.id AND f.month >= w.window_from AND f.month <= $3::date
                         AND u.product_id = sp.product_id)
                      / nullif(date_part('year', age($3::date, greatest(w.window_from, date_trunc('month', h.opened_on)::date))) * 12
                               + date_part('month', age($3::date, greatest(w.window_from, date_trunc('month', h.opened_on)::date))) + 1, 0)::numeric),
                0)::bigint
FROM client c
CROSS JOIN LATERAL (SELECT ($3::date - make_interval(months => s.value::integer - 1))::date AS window_from
                    FROM setting s WHERE s.key = 'segment.profit_window_months') w
JOIN segment_product sp ON sp.segment_id = $2 AND sp.in_ideal
JOIN product p ON p.id = sp.product_id
LEFT JOIN LATERAL (SELECT min(h.opened_on) AS opened_on
                   FROM holding h
                   WHERE h.client_id = c.id AND h.product_id = sp.product_id
                     AND h.opened_on < ($3::date + interval '1 month')
                     AND (h.closed_on IS NULL OR h.closed_on >= ($3::date + interval '1 month'))) h ON true
WHERE c.id = $1 AND {{scope:c}}
ORDER BY sp.adoption DESC, sp.product_id;
