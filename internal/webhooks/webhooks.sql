-- Webhooks: the endpoints, the outbox of deliveries and its worker's claims.
-- Every enqueue is one INSERT ... SELECT that fans an event out to the
-- enabled endpoints subscribed to it: no endpoint, no row.

-- name: endpoints
SELECT e.id, e.url, e.description, e.events, e.enabled, e.created_at,
       count(d.id) FILTER (WHERE d.status = 'pending') AS pending,
       count(d.id) FILTER (WHERE d.status = 'failed') AS failed
FROM webhook_endpoint e
LEFT JOIN webhook_delivery d ON d.endpoint_id = e.id
GROUP BY e.id
ORDER BY e.id;

-- name: endpoint-create
INSERT INTO webhook_endpoint (url, description, events, secret, created_by)
VALUES ($1, $2, $3, $4, nullif($5::integer, 0))
RETURNING id;

-- name: endpoint-enable
UPDATE webhook_endpoint SET enabled = $2 WHERE id = $1 RETURNING url;

-- name: endpoint-delete
DELETE FROM webhook_endpoint WHERE id = $1 RETURNING url;

-- name: allow-http
SELECT coalesce((SELECT value::integer FROM setting WHERE key = 'webhook.allow_http_private'), 0) = 1;

-- name: enqueue
-- One event for every enabled endpoint subscribed to it; the number of rows
-- written is the number of deliveries.
INSERT INTO webhook_delivery (endpoint_id, event, payload, items)
SELECT e.id, $1::text, $2::json, $3::integer
FROM webhook_endpoint e
WHERE e.enabled AND $1::text = ANY (e.events);

-- name: trigger-moved
-- A manager's move, in the move's own transaction (so a rolled-back move
-- sends nothing): the trigger as it now stands.
INSERT INTO webhook_delivery (endpoint_id, event, payload, items)
SELECT e.id, 'trigger.moved',
       json_build_object('items', json_build_array(json_build_object(
           'trigger_id', t.id, 'client_id', t.client_id, 'product_id', t.product_id,
           'from', $2::text, 'to', t.status, 'moved_by', $3::text, 'moved_at', t.status_changed_at))),
       1
FROM cross_sell_trigger t
JOIN webhook_endpoint e ON e.enabled AND 'trigger.moved' = ANY (e.events)
WHERE t.id = $1;

-- name: nightly-events
-- The run's batched events, in its publish transaction after it raised and
-- confirmed the triggers and before the new warnings are switched in, so
-- that they commit with the results they report or not at all:
--   * warning.raised, warning.level_changed, warning.cleared: the working
--     levels (nightly_w_level: every active client's level from this run,
--     null below warning.level_watch) against the published warnings
--     (client_warning, the last run's): raised (no warning before),
--     level_changed (watch <-> high) and cleared (no level now, or no longer
--     an active client); items by client;
--   * trigger.raised (this run's, shown ones only: the control group stays
--     hidden everywhere) and trigger.won (a won trigger the data confirmed
--     since this run started: one run at a time, so by this run); items by
--     trigger.
-- Each family gives (event, key, item); one tail numbers them per event,
-- groups them into batches of at most webhook.batch_items items and writes
-- one delivery per batch and subscribed endpoint. A family no enabled
-- endpoint wants is not read (the EXISTS are one-time filters).
WITH p AS (
    SELECT pa.run_id, pa.as_of,
           coalesce((SELECT value::integer FROM setting WHERE key = 'webhook.batch_items'), 500) AS n
    FROM nightly_w_param pa
), wanted AS (
    SELECT DISTINCT ev FROM webhook_endpoint e, unnest(e.events) ev
    WHERE e.enabled AND ev IN ('warning.raised', 'warning.level_changed', 'warning.cleared', 'trigger.raised', 'trigger.won')
), change AS (
    SELECT CASE WHEN w.client_id IS NULL THEN 'warning.raised'
                WHEN l.client_id IS NULL THEN 'warning.cleared'
                ELSE 'warning.level_changed' END AS event,
           coalesce(l.client_id, w.client_id) AS key,
           json_build_object('client_id', coalesce(l.client_id, w.client_id), 'level', l.level,
                             'previous_level', w.level, 'score', l.score) AS item
    FROM (SELECT client_id, level, score FROM nightly_w_level WHERE level IS NOT NULL) l
    FULL JOIN client_warning w ON w.client_id = l.client_id
    WHERE (w.client_id IS NULL OR l.client_id IS NULL OR w.level IS DISTINCT FROM l.level)
      AND EXISTS (SELECT 1 FROM wanted WHERE ev LIKE 'warning.%')
    UNION ALL
    SELECT 'trigger.raised', t.id, json_build_object('trigger_id', t.id, 'client_id', t.client_id,
                                                    'product_id', t.product_id, 'expected_value', t.expected_value,
                                                    'priority', t.priority)
    FROM cross_sell_trigger t, p
    WHERE t.run_id = p.run_id AND NOT t.hidden AND EXISTS (SELECT 1 FROM wanted WHERE ev = 'trigger.raised')
    UNION ALL
    SELECT 'trigger.won', t.id, json_build_object('trigger_id', t.id, 'client_id', t.client_id,
                                                 'product_id', t.product_id, 'expected_value', t.expected_value,
                                                 'priority', t.priority)
    FROM cross_sell_trigger t
    CROSS JOIN p
    WHERE t.won_confirmed_as_of = p.as_of AND t.status = 'won' AND NOT t.hidden
      AND t.won_confirmed_at >= (SELECT r.started_at FROM nightly_run r WHERE r.id = p.run_id)
      AND EXISTS (SELECT 1 FROM wanted WHERE ev = 'trigger.won')
), numbered AS (
    SELECT c.*, (row_number() OVER (PARTITION BY c.event ORDER BY c.key) - 1) / p.n AS part
    FROM change c CROSS JOIN p
), batch AS (
    SELECT event, part, count(*) AS items, max(part) OVER (PARTITION BY event) + 1 AS parts,
           json_agg(item ORDER BY key) AS list
    FROM numbered
    GROUP BY event, part
)
INSERT INTO webhook_delivery (endpoint_id, event, payload, items)
SELECT e.id, b.event,
       json_build_object('run_id', p.run_id, 'as_of', p.as_of, 'part', b.part + 1, 'parts', b.parts,
                          'items', b.list),
       b.items
FROM batch b
CROSS JOIN p
JOIN webhook_endpoint e ON e.enabled AND b.event = ANY (e.events)
ORDER BY b.event, b.part, e.id;

-- name: nightly-finished
-- The run as it ended, with what its steps counted.
INSERT INTO webhook_delivery (endpoint_id, event, payload, items)
SELECT e.id, 'nightly.finished',
       json_build_object('run_id', r.id, 'status', r.status, 'source', r.source, 'as_of', r.as_of,
                          'started_at', r.started_at, 'finished_at', r.finished_at, 'error', r.error,
                          'counts', coalesce((SELECT json_object_agg(c->>'name', (c->>'value')::bigint)
                                              FROM nightly_run_step s, jsonb_array_elements(s.counts) c
                                              WHERE s.run_id = r.id), '{}'::json)),
       1
FROM nightly_run r
JOIN webhook_endpoint e ON e.enabled AND 'nightly.finished' = ANY (e.events)
WHERE r.id = $1;

-- name: import-finished
INSERT INTO webhook_delivery (endpoint_id, event, payload, items)
SELECT e.id, 'import.finished',
       json_build_object('import_id', i.id, 'status', i.status, 'source', i.source, 'rows', i.rows,
                          'errors', i.error_count, 'started_at', i.started_at, 'finished_at', i.finished_at),
       1
FROM feed_import i
JOIN webhook_endpoint e ON e.enabled AND 'import.finished' = ANY (e.events)
WHERE i.id = $1;

-- name: claim
-- Up to $1 due deliveries of enabled endpoints, for this worker: their next
-- attempt moves $2 seconds ahead (the lease), so that a worker that dies
-- mid-attempt leaves them due again then. SKIP LOCKED: two servers never
-- claim one delivery.
UPDATE webhook_delivery d
SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => $2::float8)
FROM webhook_endpoint e
WHERE d.id IN (SELECT q.id
               FROM webhook_delivery q
               JOIN webhook_endpoint qe ON qe.id = q.endpoint_id AND qe.enabled
               WHERE q.status = 'pending' AND q.next_attempt_at <= now()
               ORDER BY q.next_attempt_at, q.id
               LIMIT $1
               FOR UPDATE OF q SKIP LOCKED)
  AND e.id = d.endpoint_id
RETURNING d.id, d.uid, d.event, d.payload, d.created_at, d.attempts, e.url, e.secret,
          coalesce((SELECT value::integer FROM setting WHERE key = 'webhook.allow_http_private'), 0) = 1,
          coalesce((SELECT value::integer FROM setting WHERE key = 'webhook.max_attempts'), 10);

-- name: delivered
UPDATE webhook_delivery
SET status = 'delivered', delivered_at = now(), last_status = $3, last_error = ''
WHERE id = $1 AND attempts = $2;

-- name: attempt-failed
-- $4: the next attempt in seconds; a delivery out of attempts fails.
UPDATE webhook_delivery
SET status = CASE WHEN attempts >= $5 THEN 'failed' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $4::float8),
    last_status = $3, last_error = left($6, 1000)
WHERE id = $1 AND attempts = $2;

-- name: release
-- Claimed deliveries a stopping worker did not try: due again at once, the
-- attempt not counted.
UPDATE webhook_delivery
SET attempts = attempts - 1, next_attempt_at = now()
WHERE id = ANY ($1) AND status = 'pending';

-- name: resend
-- A failed delivery, due again with its attempts counted afresh.
UPDATE webhook_delivery
SET status = 'pending', attempts = 0, next_attempt_at = now()
WHERE id = $1 AND status = 'failed'
RETURNING endpoint_id;

-- name: deliveries
SELECT d.id, d.uid, d.endpoint_id, e.url, d.event, d.items, d.status, d.attempts, d.last_status, d.last_error,
       d.created_at, d.last_attempt_at, d.next_attempt_at, d.delivered_at, count(*) OVER () AS total
FROM webhook_delivery d
JOIN webhook_endpoint e ON e.id = d.endpoint_id
WHERE ($1::text = '' OR d.status = $1)
ORDER BY d.id DESC
LIMIT $2 OFFSET $3;

-- name: delivery-exists
SELECT count(*) FROM webhook_delivery WHERE id = $1;
