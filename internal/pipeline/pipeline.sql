-- The branch head's pipeline: per manager of the branch, triggers by status,
-- open potential, won value confirmed by the data and its trend, untouched
-- triggers and high warnings not acted on; then one manager's book. Every
-- query that reads clients carries {{scope:c}} (or {{scope:w}}), replaced by
-- the viewer's access.ClientScope over client c (or client_warning w, which
-- carries its client's manager, branch and group); control-group triggers
-- (hidden) are never counted.

-- name: pipeline-branch
-- The branch, its bank's currency, and the period: the last 12 calendar
-- months, the current one included, and the first day of each of them.
-- $1 branch, $2 now.
WITH p AS (
    SELECT date_trunc('month', $2::timestamptz) - interval '11 months' AS from_month,
           date_trunc('month', $2::timestamptz) + interval '1 month' AS until_month
)
SELECT br.code, br.name, b.name, b.currency, b.minor_digits, p.from_month, p.until_month,
       ARRAY(SELECT generate_series(p.from_month, p.until_month - interval '1 month', interval '1 month'))
FROM branch br
JOIN bank b ON b.id = br.bank_id
CROSS JOIN p
WHERE br.id = $1;

-- name: pipeline-managers
-- One row per manager of the branch (or the one manager $2, when not null):
-- every active manager, and anyone who still manages clients of it (a
-- deactivated manager whose clients wait to be reassigned); a row with a null
-- manager for clients without one. Clients count for their current manager:
-- their clients and the high churn warnings among them. The clients are read
-- from client_branch_manager_idx alone, the warnings from
-- client_warning_branch_idx alone (a warning carries its client's branch and
-- manager, moved with the client by a reassignment or a feed). $1 branch,
-- $2 manager or null.
WITH cl AS (
    SELECT c.manager_id, count(*) AS clients, count(*) FILTER (WHERE c.left_on IS NULL) AS active
    FROM client c
    WHERE {{scope:c}} AND ($2::integer IS NULL OR c.manager_id = $2)
    GROUP BY c.manager_id
), wa AS (
    SELECT w.manager_id,
           count(*) AS high,
           count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM contact k WHERE k.client_id = w.client_id AND k.happened_at >= w.warned_since)) AS high_no_contact
    FROM client_warning w
    WHERE w.level = 'high' AND {{scope:w}} AND ($2::integer IS NULL OR w.manager_id = $2)
    GROUP BY w.manager_id
), k AS (
    -- a client's manager works in its branch (the foreign key of client
    -- (manager_id, branch_id) says so): the branch's users are all there is
    SELECT u.id AS manager_id, u.name, u.login, u.active
    FROM app_user u
    WHERE u.branch_id = $1 AND ($2::integer IS NULL OR u.id = $2)
      AND ((u.role = 'manager' AND u.active) OR u.id IN (SELECT cl.manager_id FROM cl))
    UNION ALL
    SELECT NULL, '', '', false WHERE EXISTS (SELECT 1 FROM cl WHERE cl.manager_id IS NULL)
)
SELECT coalesce(k.manager_id, 0), k.name, k.login, k.active,
       coalesce(cl.clients, 0)::integer, coalesce(cl.active, 0)::integer,
       coalesce(wa.high, 0)::integer, coalesce(wa.high_no_contact, 0)::integer
FROM k
LEFT JOIN cl ON cl.manager_id IS NOT DISTINCT FROM k.manager_id
LEFT JOIN wa ON wa.manager_id IS NOT DISTINCT FROM k.manager_id
ORDER BY k.manager_id IS NULL, k.name, k.manager_id;

-- name: pipeline-triggers
-- The branch's triggers (or manager $4's, when not null) that the pipeline
-- counts, read once, per manager and month of a win confirmed in the period
-- (null for any other trigger): the rows add up to each manager's figures
-- and, per month, to the trend of confirmed wins. Clients count for their
-- current manager (0: none). The clients are read from
-- client_branch_manager_idx alone and each one's triggers from
-- cross_sell_trigger_client_idx alone (migration 00023): no heap page of
-- either table. $1 period start, $2 period end (exclusive), $3 an open
-- trigger not moved since this is untouched, $4 manager or null.
SELECT coalesce(c.manager_id, 0)::bigint,
       CASE WHEN t.won_confirmed_at >= $1 AND t.won_confirmed_at < $2 THEN date_trunc('month', t.won_confirmed_at) END,
       count(*) FILTER (WHERE t.raised_at >= $1)::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.status = 'new')::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.status = 'contacted')::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.status = 'offered')::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.status = 'won')::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.status = 'lost')::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.status = 'dismissed')::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.status = 'expired')::integer,
       count(*) FILTER (WHERE t.raised_at >= $1 AND t.won_confirmed_at IS NOT NULL)::integer,
       count(*) FILTER (WHERE t.status IN ('new', 'contacted', 'offered'))::integer,
       coalesce(sum(t.expected_value) FILTER (WHERE t.status IN ('new', 'contacted', 'offered')), 0)::bigint,
       count(*) FILTER (WHERE t.status IN ('new', 'contacted', 'offered') AND t.status_changed_at < $3)::integer,
       count(*) FILTER (WHERE t.won_confirmed_at >= $1 AND t.won_confirmed_at < $2)::integer,
       coalesce(sum(t.expected_value) FILTER (WHERE t.won_confirmed_at >= $1 AND t.won_confirmed_at < $2), 0)::bigint
FROM client c
JOIN cross_sell_trigger t ON t.client_id = c.id
WHERE NOT t.hidden
  AND (t.raised_at >= $1 OR t.status IN ('new', 'contacted', 'offered') OR t.won_confirmed_at >= $1)
  AND {{scope:c}} AND ($4::integer IS NULL OR c.manager_id = $4)
GROUP BY 1, 2;

-- name: branch-manager
-- A manager of the branch: someone whose role is manager there, or who still
-- manages clients of it. $1 user, $2 branch.
SELECT u.id, u.name, u.login, u.active
FROM app_user u
WHERE u.id = $1 AND u.branch_id = $2
  AND (u.role = 'manager' OR EXISTS (SELECT 1 FROM client c WHERE c.manager_id = u.id));

-- name: branch-colleagues
-- The active managers of the branch, whom clients may be given to. $1 branch.
SELECT u.id, u.name, u.login, u.active
FROM app_user u
WHERE u.branch_id = $1 AND u.role = 'manager' AND u.active
ORDER BY u.name, u.id;

-- name: manager-open-triggers
-- A manager's open triggers, highest priority first. $1 manager, $2 limit.
SELECT t.id, c.id, c.legal_name, p.code, p.name, t.status, t.expected_value, t.priority, t.raised_at,
       t.status_changed_at, count(*) OVER ()::integer
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN product p ON p.id = t.product_id
WHERE c.manager_id = $1 AND NOT t.hidden AND t.status IN ('new', 'contacted', 'offered') AND {{scope:c}}
ORDER BY t.priority DESC, t.id
LIMIT $2;

-- name: manager-warnings
-- A manager's clients' churn warnings, riskiest first, with the last contact
-- logged with the client (by anyone), read live. $1 manager.
SELECT w.client_id, c.legal_name, w.level, w.score, w.warned_since, lc.at
FROM client_warning w
JOIN client c ON c.id = w.client_id
LEFT JOIN LATERAL (SELECT max(k.happened_at) AS at FROM contact k WHERE k.client_id = w.client_id) lc ON true
WHERE c.manager_id = $1 AND {{scope:c}}
ORDER BY w.probability DESC, w.client_id;

-- name: manager-clients
-- A manager's clients, active ones first, by name, with their open triggers
-- and warning level. $1 manager, $2 limit.
SELECT c.id, c.ref, c.legal_name, c.since, c.left_on, coalesce(ot.n, 0)::integer, coalesce(ot.value, 0)::bigint,
       coalesce(w.level, ''), count(*) OVER ()::integer
FROM client c
LEFT JOIN LATERAL (
    SELECT count(*) AS n, sum(t.expected_value) AS value
    FROM cross_sell_trigger t
    WHERE t.client_id = c.id AND NOT t.hidden AND t.status IN ('new', 'contacted', 'offered')) ot ON true
LEFT JOIN client_warning w ON w.client_id = c.id
WHERE c.manager_id = $1 AND {{scope:c}}
ORDER BY c.left_on IS NOT NULL, c.legal_name, c.id
LIMIT $2;
