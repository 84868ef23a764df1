-- Reads and moves of cross-sell triggers. Every query carries the marker
-- {{scope:c}}, replaced by the viewer's access.ClientScope over
-- client c.

-- name: for-client
-- A client's triggers: open ones by priority, then past ones newest first.
-- $1 client, $2 include the control group's.
SELECT t.id, t.client_id, c.ref, c.legal_name, coalesce(c.manager_id, 0), t.product_id, p.code, p.name,
       t.segment_id, t.status, t.status_reason, t.status_key, t.status_args, t.hidden, t.reason, t.reason_key,
       t.reason_args, t.expected_value, t.priority, t.adoption,
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
       t.segment_id, t.status, t.status_reason, t.status_key, t.status_args, t.hidden, t.reason, t.reason_key,
       t.reason_args, t.expected_value, t.priority, t.adoption,
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
       t.segment_id, t.status, t.status_reason, t.status_key, t.status_args, t.hidden, t.reason, t.reason_key,
       t.reason_args, t.expected_value, t.priority, t.adoption,
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

-- name: list-open-after
-- The page of open triggers after a key (the API's cursor), in the order of
-- list-open: $1-$4 as there, $5 the priority and $6 the id of the last
-- trigger of the previous page, $7 limit. Keyset: a page costs the same
-- however deep, read from cross_sell_trigger_open_priority_idx (priority
-- DESC, id) from $5 on, and a trigger raised, moved or closed meanwhile
-- neither shifts nor repeats the others. No count: a walk reads it once, on
-- its first page (list-open).
SELECT t.id, t.client_id, c.ref, c.legal_name, coalesce(c.manager_id, 0), t.product_id, p.code, p.name,
       t.segment_id, t.status, t.status_reason, t.status_key, t.status_args, t.hidden, t.reason, t.reason_key,
       t.reason_args, t.expected_value, t.priority, t.adoption,
       t.product_value, t.best_clients, t.best_holders, b.currency, b.minor_digits, t.raised_as_of, t.raised_at,
       t.status_changed_at, t.closed_at, t.won_confirmed_at,
       0
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN bank b ON b.id = c.bank_id
JOIN product p ON p.id = t.product_id
WHERE t.status IN ('new', 'contacted', 'offered') AND ($1::boolean OR NOT t.hidden)
  AND ($2::integer = 0 OR c.manager_id = $2)
  AND ($3::smallint = 0 OR t.product_id = $3)
  AND ($4::text = '' OR t.status = $4)
  AND t.priority <= $5::bigint AND (t.priority < $5::bigint OR t.id > $6::bigint)
  AND {{scope:c}}
ORDER BY t.priority DESC, t.id
LIMIT $7;

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
SET status = $2, status_reason = $3, status_key = NULL, status_args = NULL, status_changed_at = now(), status_changed_by = $4,
    closed_at = CASE WHEN $2 IN ('won', 'lost', 'dismissed') THEN now() END
WHERE id = $1;

-- name: list-ranked
-- The open triggers a manager acts on, in the order of the next best action:
-- a client under a high churn warning is left out (its offers wait, see
-- list-waiting); under a watch warning a trigger ranks at its priority x
-- trigger.watch_factor. Control-group triggers never show. $1 watch factor,
-- $2 limit, $3 offset.
SELECT t.id, t.client_id, c.ref, c.legal_name, coalesce(c.manager_id, 0), t.product_id, p.code, p.name,
       t.segment_id, t.status, t.status_reason, t.status_key, t.status_args, t.hidden, t.reason, t.reason_key,
       t.reason_args, t.expected_value, t.priority, t.adoption,
       t.product_value, t.best_clients, t.best_holders, b.currency, b.minor_digits, t.raised_as_of, t.raised_at,
       t.status_changed_at, t.closed_at, t.won_confirmed_at,
       coalesce(w.level, ''), coalesce(w.score, 0)::integer,
       round(t.priority * CASE WHEN w.level = 'watch' THEN $1::float8 ELSE 1 END)::bigint AS ranked,
       count(*) OVER ()::integer
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN bank b ON b.id = c.bank_id
JOIN product p ON p.id = t.product_id
LEFT JOIN client_warning w ON w.client_id = t.client_id
WHERE t.status IN ('new', 'contacted', 'offered') AND NOT t.hidden
  AND w.level IS DISTINCT FROM 'high'
  AND {{scope:c}}
ORDER BY ranked DESC, t.id
LIMIT $2 OFFSET $3;

-- name: list-waiting
-- The open triggers that wait because their client has a high churn warning,
-- by client and priority. Control-group triggers never show.
SELECT t.id, t.client_id, c.ref, c.legal_name, coalesce(c.manager_id, 0), t.product_id, p.code, p.name,
       t.segment_id, t.status, t.status_reason, t.status_key, t.status_args, t.hidden, t.reason, t.reason_key,
       t.reason_args, t.expected_value, t.priority, t.adoption,
       t.product_value, t.best_clients, t.best_holders, b.currency, b.minor_digits, t.raised_as_of, t.raised_at,
       t.status_changed_at, t.closed_at, t.won_confirmed_at
FROM client_warning w
JOIN client c ON c.id = w.client_id
JOIN cross_sell_trigger t ON t.client_id = w.client_id
JOIN bank b ON b.id = c.bank_id
JOIN product p ON p.id = t.product_id
WHERE w.level = 'high' AND t.status IN ('new', 'contacted', 'offered') AND NOT t.hidden
  AND {{scope:c}}
ORDER BY t.client_id, t.priority DESC, t.id;

-- name: held-back
-- How many open triggers of a client are held back for the control group.
-- $1 client.
SELECT count(*)::integer
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
WHERE t.client_id = $1 AND t.hidden AND t.status IN ('new', 'contacted', 'offered') AND {{scope:c}};

-- name: effect
-- The effectiveness of a bank's triggers raised in the months asked for, per
-- product and segment level: shown against held back (trigger_effect, built
-- by the nightly run), with the backtest's base rate and take-up factor
-- (trigger_takeup). Aggregate data of the viewer's group: no client's.
-- $1 group, $2 bank, $3 first month raised, $4 last month raised.
SELECT e.product_id, p.code, p.name, e.level,
       coalesce(sum(e.triggers) FILTER (WHERE NOT e.hidden), 0)::integer,
       coalesce(sum(e.taken) FILTER (WHERE NOT e.hidden), 0)::integer,
       coalesce(sum(e.income_after) FILTER (WHERE NOT e.hidden), 0)::bigint,
       coalesce(sum(e.triggers) FILTER (WHERE e.hidden), 0)::integer,
       coalesce(sum(e.taken) FILTER (WHERE e.hidden), 0)::integer,
       coalesce(sum(e.income_after) FILTER (WHERE e.hidden), 0)::bigint,
       sum(e.taken_expected)::bigint,
       coalesce(max(tu.base_clients), 0)::integer, coalesce(max(tu.base_taken), 0)::integer, max(tu.factor)
FROM trigger_effect e
JOIN bank b ON b.id = e.bank_id
JOIN product p ON p.id = e.product_id
LEFT JOIN trigger_takeup tu ON tu.bank_id = e.bank_id AND tu.product_id = e.product_id AND tu.level = e.level
WHERE b.group_id = $1 AND e.bank_id = $2 AND e.raised_as_of BETWEEN $3 AND $4
GROUP BY e.product_id, p.code, p.name, e.level
ORDER BY p.name, e.level;

-- name: effect-months
-- The months a bank's judged triggers were raised in, and the as-of month of
-- the run that judged them. $1 group, $2 bank.
SELECT coalesce(min(e.raised_as_of), '0001-01-01'), coalesce(max(e.raised_as_of), '0001-01-01'),
       coalesce(max(e.as_of), '0001-01-01')
FROM trigger_effect e
JOIN bank b ON b.id = e.bank_id
WHERE b.group_id = $1 AND e.bank_id = $2;
