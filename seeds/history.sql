-- The demo's year of trigger history, written once after the demo bank's
-- first nightly run (it needs the segments that run learned): set-based, a
-- handful of statements. Every draw is a stable hash of the client and
-- product (u below), so the same bank gets the same history.
--
-- Who gets a historical trigger: of the products clients took in the last
-- 12 months, 60% had a shown trigger raised 1-5 months before; a held-back
-- client's had one less often, by product (10-45%): so take-up is higher for
-- shown triggers than for held-back ones, by a different margin for each
-- product. Of the ideal products clients of a segment never took, half had a
-- trigger raised 1-11 months before the last month, which was not taken. Shown triggers then moved along as managers move them (won, lost
-- or dismissed with a reason from the form's lists, or expired); held-back
-- ones expired. Finally a share of the open triggers of the first run are
-- moved along (contacted, offered), as if managers had started on them.

-- name: unit
-- u(text): a number in [0, 1) from a hash of text, the same every time.
CREATE FUNCTION pg_temp.u(t text) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT ('x' || substr(md5(t), 1, 8))::bit(32)::bigint / 4294967296.0 $$;

-- name: history
-- $1 the lost reasons, $2 the dismiss reasons (the form's lists, "Other" left
-- out), $3 the seed. Writes the closed triggers of the last 12 months.
INSERT INTO cross_sell_trigger (client_id, product_id, segment_id, status, status_reason, hidden, expected_value,
                                priority, adoption, product_value, best_clients, best_holders, reason_key, reason_args,
                                status_key, status_args, raised_as_of, raised_at, status_changed_at, closed_at,
                                won_confirmed_at, won_confirmed_as_of)
WITH p AS (
    SELECT max(cs.as_of) AS end_month,
           (SELECT s.value::float8 FROM setting s WHERE s.key = 'trigger.control_share') AS control
    FROM client_score cs
), cl AS (
    -- the same control group as the nightly run's (triggers.sql, raise-list)
    SELECT cs.client_id, cs.profile_segment_id AS segment_id, date_trunc('month', c.since)::date AS first_month,
           ('x' || substr(md5('relay-control-group:' || cs.client_id), 1, 8))::bit(32)::bigint / 4294967296.0
               < p.control AS hidden
    FROM client_score cs
    JOIN client c ON c.id = cs.client_id
    CROSS JOIN p
    WHERE cs.profile_segment_id IS NOT NULL
), taken AS (
    SELECT cl.client_id, cl.segment_id, cl.hidden, cl.first_month, h.product_id, h.opened_on,
           (date_trunc('month', h.opened_on)
            - make_interval(months => 1 + floor(5 * pg_temp.u($3 || 'k' || cl.client_id || '-' || h.product_id))::integer))::date
               AS raised
    FROM cl
    JOIN holding h ON h.client_id = cl.client_id
    CROSS JOIN p
    WHERE h.opened_on >= (p.end_month - interval '11 months') AND h.opened_on < (p.end_month + interval '1 month')
      AND NOT EXISTS (SELECT 1 FROM holding o
                      WHERE o.client_id = h.client_id AND o.product_id = h.product_id AND o.opened_on < h.opened_on)
      AND pg_temp.u($3 || 't' || cl.client_id || '-' || h.product_id)
          < CASE WHEN cl.hidden THEN 0.1 + 0.35 * pg_temp.u($3 || 'p' || h.product_id) ELSE 0.6 END
), lacking AS (
    SELECT cl.client_id, cl.segment_id, cl.hidden, cl.first_month, sp.product_id, NULL::date AS opened_on,
           (p.end_month
            - make_interval(months => 1 + floor(11 * pg_temp.u($3 || 'r' || cl.client_id || '-' || sp.product_id))::integer))::date
               AS raised
    FROM cl
    JOIN segment_product sp ON sp.segment_id = cl.segment_id AND sp.in_ideal
    CROSS JOIN p
    WHERE NOT EXISTS (SELECT 1 FROM holding h WHERE h.client_id = cl.client_id AND h.product_id = sp.product_id)
      AND pg_temp.u($3 || 'n' || cl.client_id || '-' || sp.product_id) < 0.5
), h AS (
    SELECT x.*, pg_temp.u($3 || 's' || x.client_id || '-' || x.product_id) AS s,
           (x.raised + interval '1 month 1 day 2 hours')::timestamptz AS raised_at
    FROM (SELECT * FROM taken UNION ALL SELECT * FROM lacking) x
    CROSS JOIN p
    WHERE x.raised >= x.first_month AND x.raised >= p.end_month - interval '12 months'
), o AS (
    SELECT h.*,
           CASE WHEN h.opened_on IS NOT NULL AND NOT h.hidden AND h.s < 0.75 THEN 'won'
                WHEN h.opened_on IS NOT NULL THEN 'expired'
                WHEN NOT h.hidden AND h.s < 0.45 THEN 'lost'
                WHEN NOT h.hidden AND h.s < 0.65 THEN 'dismissed'
                ELSE 'expired' END AS status,
           least(p.end_month + interval '1 month',
                 CASE WHEN h.opened_on IS NOT NULL THEN h.opened_on + interval '1 day'
                      WHEN h.hidden OR h.s >= 0.65 THEN h.raised_at + interval '5 months'
                      ELSE h.raised_at + make_interval(days => 3 + floor(h.s * 60)::integer) END) AS closed_at
    FROM h CROSS JOIN p
)
SELECT o.client_id, o.product_id, o.segment_id, o.status,
       CASE o.status
            WHEN 'lost' THEN ($1::text[])[1 + floor(pg_temp.u($3 || 'l' || o.client_id || '-' || o.product_id) * cardinality($1::text[]))::integer]
            WHEN 'dismissed' THEN ($2::text[])[1 + floor(pg_temp.u($3 || 'd' || o.client_id || '-' || o.product_id) * cardinality($2::text[]))::integer]
            ELSE '' END,
       o.hidden, coalesce(sp.value, 0) * 12, round(coalesce(sp.value, 0) * 12 * coalesce(sp.adoption, 0))::bigint,
       coalesce(sp.adoption, 0), coalesce(sp.value, 0), coalesce(pf.best_clients, 0), coalesce(sp.best_holders, 0),
       -- why, as data (internal/reasons writes it in the reader's language)
       'trigger.demo-history',
       jsonb_build_object('product', pr.name, 'adoption', coalesce(sp.adoption, 0), 'segment', sn.label),
       CASE WHEN o.status = 'expired' AND o.opened_on IS NOT NULL THEN 'trigger.expired.held'
            WHEN o.status = 'expired' THEN 'trigger.expired.not-ideal' END,
       CASE WHEN o.status = 'expired'
            THEN jsonb_build_object('as_of', date_trunc('month', o.closed_at - interval '1 month')::date) END,
       o.raised, o.raised_at, o.closed_at, o.closed_at,
       CASE WHEN o.status = 'won' THEN o.closed_at + interval '1 month' END,
       CASE WHEN o.status = 'won' THEN date_trunc('month', o.closed_at + interval '1 month')::date END
FROM o
JOIN product pr ON pr.id = o.product_id
JOIN segment_named sn ON sn.id = o.segment_id
LEFT JOIN segment_profile pf ON pf.segment_id = o.segment_id
LEFT JOIN segment_product sp ON sp.segment_id = o.segment_id AND sp.product_id = o.product_id;

-- name: move-open
-- A share of the open, shown triggers of the first run moved along: 20%
-- contacted, 10% offered. $1 the seed.
UPDATE cross_sell_trigger t
SET status = CASE WHEN x.s < 0.2 THEN 'contacted' ELSE 'offered' END, status_changed_at = t.raised_at
FROM (SELECT id, pg_temp.u($1 || 'm' || id) AS s FROM cross_sell_trigger WHERE status = 'new' AND NOT hidden) x
WHERE t.id = x.id AND x.s < 0.3;
