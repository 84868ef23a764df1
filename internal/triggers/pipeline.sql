-- The branch head's pipeline: per manager of the branch, triggers by status,
-- open potential, won value confirmed by the data and its trend, untouched
-- triggers and high warnings not acted on; then one manager's book. Every
-- query that reads clients carries {{scope:c}}, replaced by the viewer's
-- access.ClientScope over client c; control-group triggers (hidden) are
-- never counted.

-- name: pipeline-branch
-- The branch, its bank's currency, and the period: the last 12 calendar
-- months, the current one included. $1 branch, $2 now.
SELECT br.code, br.name, b.name, b.currency, b.minor_digits,
       date_trunc('month', $2::timestamptz) - interval '11 months',
       date_trunc('month', $2::timestamptz) + interval '1 month'
FROM branch br
JOIN bank b ON b.id = br.bank_id
WHERE br.id = $1;

-- name: pipeline-managers
-- One row per manager of the branch: every active manager, and anyone who
-- still manages clients of it (a deactivated manager whose clients wait to
-- be reassigned); a row with a null manager for clients without one. Clients
-- count for their current manager. $1 branch, $2 period start, $3 period
-- end (exclusive), $4 an open trigger not moved since this is untouched.
WITH tr AS (
    SELECT c.manager_id,
           count(*) FILTER (WHERE t.raised_at >= $2) AS raised,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'new') AS s_new,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'contacted') AS s_contacted,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'offered') AS s_offered,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'won') AS s_won,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'lost') AS s_lost,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'dismissed') AS s_dismissed,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.status = 'expired') AS s_expired,
           count(*) FILTER (WHERE t.raised_at >= $2 AND t.won_confirmed_at IS NOT NULL) AS won_confirmed,
           count(*) FILTER (WHERE t.status IN ('new', 'contacted', 'offered')) AS open,
           coalesce(sum(t.expected_value) FILTER (WHERE t.status IN ('new', 'contacted', 'offered')), 0) AS open_value,
           count(*) FILTER (WHERE t.status IN ('new', 'contacted', 'offered') AND t.status_changed_at < $4) AS untouched,
           count(*) FILTER (WHERE t.won_confirmed_at >= $2 AND t.won_confirmed_at < $3) AS won_count,
           coalesce(sum(t.expected_value) FILTER (WHERE t.won_confirmed_at >= $2 AND t.won_confirmed_at < $3), 0) AS won_value
    FROM cross_sell_trigger t
    JOIN client c ON c.id = t.client_id
    WHERE NOT t.hidden
      AND (t.raised_at >= $2 OR t.status IN ('new', 'contacted', 'offered') OR t.won_confirmed_at >= $2)
      AND {{scope:c}}
    GROUP BY c.manager_id
), wa AS (
    SELECT c.manager_id,
           count(*) AS high,
           count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM contact k WHERE k.client_id = w.client_id AND k.happened_at >= w.warned_since)) AS high_no_contact
    FROM client_warning w
    JOIN client c ON c.id = w.client_id
    WHERE w.level = 'high' AND {{scope:c}}
    GROUP BY c.manager_id
), cl AS (
    SELECT c.manager_id, count(*) AS clients, count(*) FILTER (WHERE c.left_on IS NULL) AS active
    FROM client c
    WHERE {{scope:c}}
    GROUP BY c.manager_id
), k AS (
    SELECT u.id AS manager_id FROM app_user u WHERE u.branch_id = $1 AND u.role = 'manager' AND u.active
    UNION
    SELECT manager_id FROM cl
)
SELECT coalesce(k.manager_id, 0), coalesce(u.name, ''), coalesce(u.login, ''), coalesce(u.active, false),
       coalesce(cl.clients, 0)::integer, coalesce(cl.active, 0)::integer,
       coalesce(tr.raised, 0)::integer, coalesce(tr.s_new, 0)::integer, coalesce(tr.s_contacted, 0)::integer,
       coalesce(tr.s_offered, 0)::integer, coalesce(tr.s_won, 0)::integer, coalesce(tr.s_lost, 0)::integer,
       coalesce(tr.s_dismissed, 0)::integer, coalesce(tr.s_expired, 0)::integer,
       coalesce(tr.won_confirmed, 0)::integer, coalesce(tr.open, 0)::integer, coalesce(tr.open_value, 0)::bigint,
       coalesce(tr.untouched, 0)::integer, coalesce(tr.won_count, 0)::integer, coalesce(tr.won_value, 0)::bigint,
       coalesce(wa.high, 0)::integer, coalesce(wa.high_no_contact, 0)::integer
FROM k
LEFT JOIN app_user u ON u.id = k.manager_id
LEFT JOIN cl ON cl.manager_id IS NOT DISTINCT FROM k.manager_id
LEFT JOIN tr ON tr.manager_id IS NOT DISTINCT FROM k.manager_id
LEFT JOIN wa ON wa.manager_id IS NOT DISTINCT FROM k.manager_id
ORDER BY k.manager_id IS NULL, u.name, u.id;

-- name: pipeline-won-trend
-- The value of wins confirmed by the data, by month of confirmation, every
-- month of the period. $1 period start, $2 period end (exclusive).
WITH won AS (
    SELECT date_trunc('month', t.won_confirmed_at) AS month, sum(t.expected_value) AS value, count(*) AS n
    FROM cross_sell_trigger t
    JOIN client c ON c.id = t.client_id
    WHERE NOT t.hidden AND t.won_confirmed_at >= $1 AND t.won_confirmed_at < $2 AND {{scope:c}}
    GROUP BY 1
)
SELECT m.month, coalesce(won.value, 0)::bigint, coalesce(won.n, 0)::integer
FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 month', interval '1 month') AS m(month)
LEFT JOIN won ON won.month = m.month
ORDER BY m.month;

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
