-- The record of runs, the run's lock and bookkeeping, and the counts each step
-- reports.

-- name: try-lock
-- Only one run at a time across every server: a session lock held by the
-- run's own connection, released when it ends or the connection drops.
SELECT pg_try_advisory_lock($1::bigint);

-- name: unlock
SELECT pg_advisory_unlock($1::bigint);

-- name: recent-scheduled
-- A scheduled run skips when another server's scheduled run succeeded moments
-- ago (the servers' clocks need not agree to the second).
SELECT EXISTS (
    SELECT 1 FROM nightly_run
    WHERE source = 'schedule' AND status = 'succeeded' AND started_at > now() - make_interval(mins => $1::integer));

-- name: fail-stale
-- A run still marked running when the lock is free died with its server.
UPDATE nightly_run
SET status = 'failed', finished_at = clock_timestamp(), error = 'interrupted: the run''s server or connection stopped',
    error_key = 'interrupted'
WHERE status = 'running';

-- name: fail-stale-steps
UPDATE nightly_run_step s
SET status = 'failed', finished_at = clock_timestamp(), error = 'interrupted', error_key = 'interrupted-step'
FROM nightly_run r
WHERE r.id = s.run_id AND r.status = 'failed' AND s.status = 'running';

-- name: insert-run
INSERT INTO nightly_run (source, requested_by) VALUES ($1, $2) RETURNING id, started_at;

-- name: insert-steps
INSERT INTO nightly_run_step (run_id, position, step)
SELECT $1::bigint, s.position, s.step
FROM unnest($2::text[]) WITH ORDINALITY AS s(step, position);

-- name: step-start
UPDATE nightly_run_step SET status = 'running', started_at = clock_timestamp()
WHERE run_id = $1 AND position = $2;

-- name: step-finish
UPDATE nightly_run_step SET status = $3, finished_at = clock_timestamp(), counts = $4::jsonb, error = $5,
    error_key = $6, error_args = $7::jsonb
WHERE run_id = $1 AND position = $2;

-- name: run-as-of
UPDATE nightly_run SET as_of = $2 WHERE id = $1;

-- name: run-succeed
UPDATE nightly_run SET status = 'succeeded', finished_at = clock_timestamp() WHERE id = $1;

-- name: run-fail
UPDATE nightly_run SET status = 'failed', finished_at = clock_timestamp(), error = $2, error_key = $3, error_args = $4::jsonb
WHERE id = $1 AND status = 'running';

-- name: plan-sorted-aggregate
-- For the pass over monthly facts: the partitions' primary keys deliver the
-- rows in client order, so a sorted aggregate needs no sort and little memory,
-- where PostgreSQL would otherwise sort or hash them in parallel and spill.
SET LOCAL enable_hashagg = off;

-- name: plan-serial
SET LOCAL max_parallel_workers_per_gather = 0;

-- name: latest-month
-- The latest month with facts: each month's partition is asked for one row,
-- rather than every row of every month read for max(month).
SELECT max(p.month)
FROM (SELECT substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([0-9-]+)''\)')::date AS month
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'monthly_fact'::regclass) p
CROSS JOIN LATERAL (SELECT 1 FROM monthly_fact f WHERE f.month = p.month LIMIT 1) x;

-- name: check-settings
-- The settings the run reads, checked before it writes anything (the feed's
-- import included): fails naming every one whose value is unusable.
SELECT nightly_param_check();

-- name: params
-- What Go uses of the run's parameter row: the windows the fact statements
-- take as parameters, the raise limit, a replay's sample share and the fixed
-- weights of the churn score.
SELECT as_of, profit_from, recent_from, base_from, scan_from, input_from, max_open, sample_share,
       w_intercept, w_turnover, w_balance, w_tx, w_closed, w_income, w_lifetime, w_contact
FROM nightly_w_param;

-- name: param-values
-- The registered settings as the run's parameter row holds them, written back
-- as settings' values (a list comma-joined), for the Go code of the run that
-- reads settings.Values (the take-up offers): it sees the run's set, not one
-- an admin saved since the run started.
SELECT s.key,
       CASE WHEN jsonb_typeof(x.params -> s.nightly_param) = 'array'
            THEN coalesce((SELECT string_agg(e, ',' ORDER BY n)
                           FROM jsonb_array_elements_text(x.params -> s.nightly_param) WITH ORDINALITY AS a(e, n)), '')
            ELSE x.params ->> s.nightly_param END
FROM setting s
CROSS JOIN (SELECT to_jsonb(p) AS params FROM nightly_w_param p) x
WHERE s.nightly_param IS NOT NULL;

-- name: session
-- The run's connection: memory for its sorts and hashes, no statement timeout.
-- relay.nightly: the run's own writes are not logged as changes of its inputs
-- (nightly_input_change).
SELECT set_config('work_mem', $1, false), set_config('statement_timeout', '0', false),
       set_config('application_name', 'relay nightly', false), set_config('relay.nightly', 'on', false);

-- name: truncate-work
-- The working tables are emptied after a run (they stay, empty, so that the
-- run's statements can be checked at start), but for those a quick run keeps
-- (truncate-kept).
TRUNCATE nightly_w_param, nightly_w_expire, nightly_w_confirm, nightly_w_raise, nightly_w_score, nightly_w_level,
         nightly_w_outcome;

-- name: truncate-kept
-- The working tables that depend on the run's inputs but not on its date
-- (the segments and profiles steps', the typical lifetimes, the signals but
-- the no-contact one, the churn inputs, whose dated ones a quick run
-- computes again, the activity cells, the take-up factors and the churn
-- rates by segment) and the contacts (which a quick run moves to its day), kept
-- after a successful run for the next quick one, emptied after a failed run
-- with the record of whose they are.
TRUNCATE nightly_w_kept, nightly_w_client, nightly_w_key, nightly_w_keyseg, nightly_w_member, nightly_w_segment,
         nightly_w_held, nightly_w_segment_product, nightly_w_lifetime, nightly_w_panel, nightly_w_product_income,
         nightly_w_offer, nightly_w_signal, nightly_w_input, nightly_w_takeup, nightly_w_churn, nightly_w_contact,
         nightly_w_rfm;

-- name: keep
-- After a successful run: its working tables are the ones kept, with its time
-- (the cool-downs that end by the next run's time are counted from it) and
-- the day its contacts were counted to (warnings.contact-redate).
WITH gone AS (DELETE FROM nightly_w_kept)
INSERT INTO nightly_w_kept (run_id, run_at, contacts_to) SELECT $1, p.run_at, p.contacts_to FROM nightly_w_param p;

-- name: take-changes
-- What changed among the run's inputs since the last run started, taken off
-- the log in one statement (a change that commits later stays for the next
-- run), each input once.
WITH taken AS (DELETE FROM nightly_input_change RETURNING input)
SELECT coalesce(array_agg(DISTINCT input ORDER BY input), '{}') FROM taken;

-- name: previous-run
-- The run before this one, its inputs stamp, and whether its working tables
-- are the ones kept.
SELECT r.id, r.status, coalesce(r.inputs, '{}'::jsonb),
       EXISTS (SELECT 1 FROM nightly_w_kept k WHERE k.run_id = r.id)
FROM nightly_run r
WHERE r.id < $1
ORDER BY r.id DESC
LIMIT 1;

-- name: previous-raised
-- How many triggers the run $1 raised (-1: not known). A bank's take-up
-- offers read which products were offered before: they stay as they were
-- only when it raised none.
SELECT coalesce((SELECT sum((c ->> 'value')::bigint)::bigint
                 FROM nightly_run_step s
                 CROSS JOIN jsonb_array_elements(s.counts) c
                 WHERE s.run_id = $1 AND s.step = 'publish' AND c ->> 'name' = 'triggers_raised'), -1);

-- name: fact-months
-- The months of facts, as the partitions that hold them (a month reloaded is
-- a new table).
SELECT coalesce(string_agg(i.inhrelid::text, ',' ORDER BY i.inhrelid), '')
FROM pg_inherits i
WHERE i.inhparent = 'monthly_fact'::regclass;

-- name: run-kind
UPDATE nightly_run SET kind = $2, why = $3, inputs = $4, changes = $5 WHERE id = $1;

-- name: drop-new
-- Leftovers of a run that failed before its switch.
DROP TABLE IF EXISTS segment_profile_new, segment_product_new, segment_stage_new, client_score_new,
                     client_warning_new, client_churn_new, bank_churn_scorer_new, trigger_effect_new,
                     trigger_takeup_new, nightly_w_contact_next, nightly_w_input_next;

-- name: count-segments
SELECT (SELECT count(*) FROM nightly_w_client) AS clients,
       count(DISTINCT chosen) AS segments,
       count(DISTINCT chosen) FILTER (WHERE level = 1) AS level_1,
       count(DISTINCT chosen) FILTER (WHERE level = 2) AS level_2,
       count(DISTINCT chosen) FILTER (WHERE level = 3) AS level_3,
       count(DISTINCT chosen) FILTER (WHERE level = 4) AS level_4
FROM nightly_w_keyseg;

-- name: count-profiles
SELECT (SELECT count(*) FROM nightly_w_segment) AS segments,
       (SELECT coalesce(sum(best), 0)::bigint FROM nightly_w_segment) AS best_clients,
       (SELECT count(*) FROM nightly_w_segment_product WHERE in_ideal) AS ideal_products,
       (SELECT coalesce(sum(cardinality(held)), 0)::bigint FROM nightly_w_held) AS holdings;

-- name: count-triggers
SELECT (SELECT count(*) FROM nightly_w_raise) AS to_raise, (SELECT count(*) FROM nightly_w_expire) AS to_expire,
       (SELECT count(*) FROM nightly_w_confirm) AS to_confirm, (SELECT count(*) FROM nightly_w_outcome) AS to_judge,
       (SELECT count(*) FROM nightly_w_takeup WHERE factor IS NOT NULL) AS takeup_factors;

-- name: count-warnings
SELECT count(*) AS scored, count(*) FILTER (WHERE level = 'high') AS high,
       count(*) FILTER (WHERE level = 'watch') AS watch,
       count(*) FILTER (WHERE stage = 'onboarding') AS onboarding,
       count(*) FILTER (WHERE stage = 'ramp_up') AS ramp_up,
       count(*) FILTER (WHERE stage = 'plateau') AS plateau,
       count(*) FILTER (WHERE stage = 'decline') AS decline,
       count(*) FILTER (WHERE model_id IS NOT NULL) AS by_model
FROM nightly_w_level;

-- name: bank-models
-- The learned model that scores each bank, when one does (bank_model); the
-- other banks are scored with the fixed weights.
SELECT bm.bank_id, fm.id, fm.body
FROM bank_model bm
JOIN fitted_model fm ON fm.id = bm.model_id
WHERE bm.purpose = 'churn';

-- name: inputs
-- Every client's inputs, for scoring.
SELECT client_id, bank_id, x FROM nightly_w_input;

-- name: score-table
CREATE UNLOGGED TABLE nightly_w_score (
    client_id bigint, bank_id smallint, model_id bigint, z float8, probability float8, score smallint,
    contribs float8[], fixed_z float8
);

-- name: count-ltv
SELECT count(*) AS segments, count(*) FILTER (WHERE churn_rate IS NOT NULL) AS with_churn_rate,
       coalesce(sum(churn_leavers), 0)::bigint AS leavers
FROM nightly_w_churn;

-- name: list-runs
SELECT id, source, coalesce(requested_by, 0), as_of, status, started_at, finished_at, error, error_key, error_args,
       coalesce(kind, ''), why, count(*) OVER ()
FROM nightly_run
ORDER BY started_at DESC, id DESC
LIMIT $1 OFFSET $2;

-- name: get-run
SELECT id, source, coalesce(requested_by, 0), as_of, status, started_at, finished_at, error, error_key, error_args,
       coalesce(kind, ''), why, 1::bigint
FROM nightly_run
WHERE id = $1;

-- name: run-steps
SELECT run_id, position, step, status, started_at, finished_at, counts, error, error_key, error_args
FROM nightly_run_step
WHERE run_id = ANY ($1::bigint[])
ORDER BY run_id, position;

-- name: replay-drop-stale
-- A replay works in a schema named after its connection's backend; a schema
-- whose backend is gone was left by a replay that died.
DO $$
DECLARE s text;
BEGIN
    FOR s IN SELECT nspname FROM pg_namespace
             WHERE nspname ~ '^relay_replay_[0-9]+$'
               AND substring(nspname FROM 14)::integer NOT IN (SELECT pid FROM pg_stat_activity)
    LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', s);
    END LOOP;
END $$;

-- name: replay-schema
SELECT 'relay_replay_' || pg_backend_pid();

-- name: replay-session
-- The replay's connection: its schema first in the search path, so that the
-- run's statements build their tables there; memory for sorts and hashes.
SELECT set_config('search_path', quote_ident($1) || ', public', false), set_config('work_mem', $2, false),
       set_config('statement_timeout', '0', false), set_config('application_name', 'relay replay', false);

-- name: replay-rows
-- Every client of a replayed month: its inputs, when it left (the outcome),
-- whether it stands for the sampled staying clients, its tenure band and the
-- level its segment backs off to. The level follows segments.key's rule but
-- counts every active client of the month (a sampled replay reads only some).
WITH active AS (
    SELECT c.id, c.bank_id, c.region_id, c.industry_id,
           (CASE WHEN t.months < 6 THEN 0 WHEN t.months < 12 THEN 1 WHEN t.months < 24 THEN 2
                 WHEN t.months < 36 THEN 3 ELSE 4 END)::smallint AS band
    FROM client c
    CROSS JOIN nightly_w_param p
    CROSS JOIN LATERAL (SELECT ((date_part('year', p.cutoff) - date_part('year', c.since)) * 12
                                + date_part('month', p.cutoff) - date_part('month', c.since)
                                - (date_part('day', c.since) > 1)::integer)::integer AS months) t
    WHERE c.since < p.cutoff AND (c.left_on IS NULL OR c.left_on >= p.cutoff)
), k AS (
    SELECT bank_id, region_id, industry_id, band, count(*) AS n FROM active GROUP BY 1, 2, 3, 4
), s AS (
    SELECT k.*, sum(n) OVER (PARTITION BY bank_id, industry_id, band) AS n2,
           sum(n) OVER (PARTITION BY bank_id, industry_id) AS n3
    FROM k
), lv AS (
    SELECT s.bank_id, s.region_id, s.industry_id, s.band,
           (CASE WHEN s.n >= p.min_clients THEN 1 WHEN s.n2 >= p.min_clients THEN 2
                 WHEN s.n3 >= p.min_clients THEN 3 ELSE 4 END)::smallint AS level
    FROM s CROSS JOIN nightly_w_param p
)
SELECT i.client_id, i.bank_id, c.band, lv.level, i.x, cl.left_on, c.ref
FROM nightly_w_input i
JOIN nightly_w_client c ON c.client_id = i.client_id
JOIN client cl ON cl.id = i.client_id
JOIN lv ON lv.bank_id = c.bank_id AND lv.region_id = c.region_id AND lv.industry_id = c.industry_id
       AND lv.band = c.band;

-- name: reconcile
-- Runs still marked running when nobody holds the run lock died with their
-- process. The lock is taken for this transaction only.
SELECT pg_try_advisory_xact_lock($1::bigint);
