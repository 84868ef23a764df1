-- Reads and moves of cross-sell triggers. Every query carries the marker
-- {{scope:c}}, replaced by the viewer's access.ClientScope over
-- client c.

-- name: for-client
-- A client's triggers: open ones by priority, then past ones newest first.
-- $1 client, $2 include the control group's.
SELECT t.id, t.client_id, c.ref, c.legal_name, coalesce(c.manager_id, 0), t.product_id, p.code, p.name,
       t.segment_id, t.status, t.status_reason, t.hidden, t.reason, t.expected_value, t.priority, t.adoption,
       t.product_value, t.best_clients, t.best_holders, b.currency, b.minor_digits, t.raised_as_of, t.raised_at,
       t.status_changed_at, t.closed_at, t.won_confirmed_at
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN bank b ON b.id = c.bank_id
JOIN product p ON p.id = t.product_id
WHERE t.client_id = $1 AND ($2::boolean OR NOT t.hidden) AND {{scope:c}}
ORDER BY t.status IN ('new', 'contacted', 'offered') DESC,
         CASE WHEN t.status IN ('new', 'contacted', 'offered') THEN t.priority END DESC,
         t.status_changed_at DESC, t.id DESC;

-- name: get
-- One trigger. $1 trigger, $2 include the control group's.
SELECT t.id, t.client_id, c.ref, c.legal_name, coalesce(c.manager_id, 0), t.product_id, p.code, p.name,
       t.segment_id, t.status, t.status_reason, t.hidden, t.reason, t.expected_value, t.priority, t.adoption,
       t.product_value, t.best_clients, t.best_holders, b.currency, b.minor_digits, t.raised_as_of, t.raised_at,
       t.status_changed_at, t.closed_at, t.won_confirmed_at
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN bank b ON b.id = c.bank_id
JOIN product p ON p.id = t.product_id
WHERE t.id = $1 AND ($2::boolean OR NOT t.hidden) AND {{scope:c}};

-- name: list-open
-- A page of open triggers by priority. $1 include the control group's, $2
-- manager (0: all), $3 product (0: all), $4 status ('': every open one),
-- $5 limit, $6 offset.
SELECT t.id, t.client_id, c.ref, c.legal_name, coalesce(c.manager_id, 0), t.product_id, p.code, p.name,
       t.segment_id, t.status, t.status_reason, t.hidden, t.reason, t.expected_value, t.priority, t.adoption,
       t.product_value, t.best_clients, t.best_holders, b.currency, b.minor_digits, t.raised_as_of, t.raised_at,
       t.status_changed_at, t.closed_at, t.won_confirmed_at,
       count(*) OVER ()::integer
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN bank b ON b.id = c.bank_id
JOIN product p ON p.id = t.product_id
WHERE t.status IN ('new', 'contacted', 'offered') AND ($1::boolean OR NOT t.hidden)
  AND ($2::integer = 0 OR c.manager_id = $2)
  AND ($3::smallint = 0 OR t.product_id = $3)
  AND ($4::text = '' OR t.status = $4)
  AND {{scope:c}}
ORDER BY t.priority DESC, t.id
LIMIT $5 OFFSET $6;

-- name: lock
-- A trigger a manager may move, locked for the move: never one of the
-- control group. $1 trigger.
SELECT t.status, t.client_id, p.code
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN product p ON p.id = t.product_id
WHERE t.id = $1 AND NOT t.hidden AND {{scope:c}}
FOR UPDATE OF t;

-- name: move
-- $1 trigger, $2 new status, $3 reason, $4 user.
UPDATE cross_sell_trigger
SET status = $2, status_reason = $3, status_changed_at = now(), status_changed_by = $4,
    closed_at = CASE WHEN $2 IN ('won', 'lost', 'dismissed') THEN now() END
WHERE id = $1;
