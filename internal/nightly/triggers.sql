-- The triggers step. Triggers live with the manager, so the step works out
-- what to change (which open triggers expire, which won ones the data now
-- confirms, which to raise) into working tables, and the run's final
-- transaction applies those changes (confirm, expire, raise below), checking
-- again each row it touches. A candidate is an active client and a product of
-- its own segment's ideal set that it does not hold; expected value: the
-- product's monthly value in the segment x 12; priority: expected value x
-- adoption.

-- name: expire-list
-- Open triggers with no candidate behind them any more, and why.
CREATE UNLOGGED TABLE nightly_w_expire AS
SELECT t.id,
       format('%s (as of %s).',
              CASE WHEN m.client_id IS NULL THEN 'The client is no longer active'
                   WHEN t.product_id = ANY (m.held) THEN 'The client holds the product'
                   ELSE 'The product is no longer in the ideal set of the client''s segment' END,
              to_char((SELECT as_of FROM nightly_w_param), 'YYYY-MM')) AS reason
FROM cross_sell_trigger t
LEFT JOIN nightly_w_member m ON m.client_id = t.client_id AND m.assigned
LEFT JOIN nightly_w_segment_product sp ON sp.segment_id = m.segment_id AND sp.product_id = t.product_id
                                      AND sp.in_ideal
WHERE t.status IN ('new', 'contacted', 'offered')
  AND (m.client_id IS NULL OR t.product_id = ANY (m.held) OR sp.segment_id IS NULL);

-- name: confirm-list
-- Triggers marked won whose holding the data now shows.
CREATE UNLOGGED TABLE nightly_w_confirm AS
SELECT t.id
FROM cross_sell_trigger t
JOIN nightly_w_member m ON m.client_id = t.client_id AND m.assigned
WHERE t.status = 'won' AND t.won_confirmed_at IS NULL AND t.product_id = ANY (m.held);

-- name: raise-list
-- The candidates to raise: for the clients with fewer open triggers than
-- trigger.max_open_per_client, their candidates not open already and not in
-- their cool-down (closed as won, lost or dismissed within
-- trigger.cooldown_days), highest priority first, as many as the client has
-- room for. The control group (a stable share of clients by a hash of their
-- id) gets its triggers like everyone, hidden.
CREATE UNLOGGED TABLE nightly_w_raise AS
WITH open AS (
    SELECT t.client_id, count(*) AS n
    FROM cross_sell_trigger t
    WHERE t.status IN ('new', 'contacted', 'offered')
    GROUP BY t.client_id
), room AS (
    SELECT m.client_id, m.segment_id, m.held, p.max_open - coalesce(o.n, 0) + coalesce(e.n, 0) AS free
    FROM nightly_w_member m
    CROSS JOIN nightly_w_param p
    LEFT JOIN open o ON o.client_id = m.client_id
    -- the open triggers that expire in this run make room
    LEFT JOIN (SELECT t.client_id, count(*) AS n
               FROM nightly_w_expire x JOIN cross_sell_trigger t ON t.id = x.id
               GROUP BY t.client_id) e ON e.client_id = m.client_id
    WHERE m.assigned AND p.max_open - coalesce(o.n, 0) + coalesce(e.n, 0) > 0
), candidate AS (
    SELECT r.client_id, r.segment_id, r.free, sp.product_id, sp.adoption, s.best AS best_clients, sp.best_holders,
           sp.value AS product_value, sp.value * 12 AS expected_value,
           round(sp.value * 12 * sp.adoption::numeric)::bigint AS priority
    FROM room r
    JOIN nightly_w_segment_product sp ON sp.segment_id = r.segment_id AND sp.in_ideal
    JOIN nightly_w_segment s ON s.segment_id = r.segment_id
    CROSS JOIN nightly_w_param p
    WHERE sp.product_id <> ALL (r.held)
      AND NOT EXISTS (
          SELECT 1 FROM cross_sell_trigger t
          WHERE t.client_id = r.client_id AND t.product_id = sp.product_id
            AND (t.status IN ('new', 'contacted', 'offered')
                 OR (t.status IN ('won', 'lost', 'dismissed')
                     AND t.closed_at > now() - make_interval(days => p.cooldown_days))))
), ranked AS (
    SELECT candidate.*,
           row_number() OVER (PARTITION BY client_id ORDER BY priority DESC, product_id) AS rank
    FROM candidate
)
SELECT x.client_id, x.product_id, x.segment_id,
       ('x' || substr(md5('relay-control-group:' || x.client_id), 1, 8))::bit(32)::bigint / 4294967296.0
           < p.control_share AS hidden,
       x.expected_value, x.priority, x.adoption, x.product_value, x.best_clients, x.best_holders,
       format('%s is held by %s%% of the best clients in %s (%s of %s); this client has none. '
              'The segment''s clients that hold it bring %s a month (median): %s a year.',
              pr.name, round(x.adoption * 100), sn.label, x.best_holders, x.best_clients,
              money_text(x.product_value, c.minor_digits, c.currency),
              money_text(x.expected_value, c.minor_digits, c.currency)) AS reason
FROM ranked x
CROSS JOIN nightly_w_param p
JOIN nightly_w_client c ON c.client_id = x.client_id
JOIN product pr ON pr.id = x.product_id
JOIN segment_named sn ON sn.id = x.segment_id
WHERE x.rank <= x.free;

-- name: confirm
UPDATE cross_sell_trigger t
SET won_confirmed_at = now(), won_confirmed_as_of = p.as_of
FROM nightly_w_confirm x, nightly_w_param p
WHERE t.id = x.id AND t.status = 'won' AND t.won_confirmed_at IS NULL;

-- name: expire
UPDATE cross_sell_trigger t
SET status = 'expired', status_reason = x.reason, status_changed_at = now(), status_changed_by = NULL,
    closed_at = now()
FROM nightly_w_expire x
WHERE t.id = x.id AND t.status IN ('new', 'contacted', 'offered');

-- name: raise
-- A manager can only close triggers meanwhile, never open one, so the raise
-- list cannot overfill a client; the unique index on open triggers guards the
-- rest.
INSERT INTO cross_sell_trigger (client_id, product_id, segment_id, hidden, expected_value, priority, adoption,
                                product_value, best_clients, best_holders, reason, raised_as_of, run_id)
SELECT x.client_id, x.product_id, x.segment_id, x.hidden, x.expected_value, x.priority, x.adoption,
       x.product_value, x.best_clients, x.best_holders, x.reason, p.as_of, p.run_id
FROM nightly_w_raise x
CROSS JOIN nightly_w_param p
ORDER BY x.client_id, x.priority DESC
ON CONFLICT (client_id, product_id) WHERE status IN ('new', 'contacted', 'offered') DO NOTHING;
