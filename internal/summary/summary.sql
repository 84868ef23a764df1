-- The state of the client summary (migration 00032): whether it can be
-- trusted, and for which partitions of monthly_fact.

-- name: lock
-- The imports' lock (internal/imports' lock): an import, a run rewriting the
-- summary and a statement writing monthly_fact outside the import
-- (client_summary_unkept) take it, so that the summary is written by one at
-- a time and never from facts a writer is changing.
SELECT pg_advisory_xact_lock(hashtext('relay.imports'));

-- name: trusted
-- Whether the summary can be trusted: its state row is there (nothing but the
-- import has written monthly_fact since the summary was last whole) and names
-- the partitions of monthly_fact there are now.
SELECT EXISTS (
    SELECT 1 FROM client_summary_state s
    WHERE s.partitions = (SELECT coalesce(array_agg(i.inhrelid ORDER BY i.inhrelid), '{}')
                          FROM pg_inherits i WHERE i.inhparent = 'monthly_fact'::regclass));

-- name: trust
-- The summary is whole for the partitions there are now (a run that has just
-- rebuilt it).
INSERT INTO client_summary_state (partitions)
SELECT coalesce(array_agg(i.inhrelid ORDER BY i.inhrelid), '{}')
FROM pg_inherits i WHERE i.inhparent = 'monthly_fact'::regclass
ON CONFLICT (only_row) DO UPDATE SET partitions = EXCLUDED.partitions;

-- name: restamp
-- The summary, if it was trusted, stays so over the partitions there are now
-- (an import that attached a month and kept the summary for its facts).
UPDATE client_summary_state
SET partitions = (SELECT coalesce(array_agg(i.inhrelid ORDER BY i.inhrelid), '{}')
                  FROM pg_inherits i WHERE i.inhparent = 'monthly_fact'::regclass);

-- name: distrust
-- The summary is not to be trusted: the next run rebuilds it whole.
DELETE FROM client_summary_state;

-- name: clear
-- Every row goes, before a run rebuilds the summary whole: a row not
-- rewritten could be stale.
TRUNCATE client_summary;

-- name: latest-month
-- The latest month with facts (as the nightly run finds it: each month's
-- partition is asked for its bounds).
SELECT max(p.month)
FROM (SELECT substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([0-9-]+)''\)')::date AS month
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'monthly_fact'::regclass) p;

-- name: windows
-- The windows a run as of $1 reads with the settings of now, from the run's
-- own parameter SQL (nightly_param_sql, migration 00020): $1 the as-of month.
-- It fails, as the run would, when a setting is unusable.
SELECT nightly_param_sql(false, NULL, $1::date, false, 1, 12, now());
