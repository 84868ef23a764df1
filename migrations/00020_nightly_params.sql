-- The nightly parameters in one place (issue 13, item 3).
--
-- The run's parameter row (nightly_w_param: one row, one column per setting
-- the run uses, plus the as-of month and the windows derived from it) was
-- written five times: three times in Go, once as $1..$49 of segments.param,
-- once as this table's columns. Now the setting table is the registry: a
-- setting the nightly run reads names its column (nightly_param) and that
-- column's type (nightly_type), and nightly_param() builds the row in SQL
-- from the setting table. Go passes only the run id and the as-of month (and
-- a replay its sample). Adding a nightly parameter is one setting row (key,
-- value, default, bounds, label, description, nightly_param, nightly_type)
-- and its use in the run's SQL as p.<nightly_param>: the row's insert
-- reshapes the empty working table (nightly_param_reshape), so that the
-- statements using the new column prepare at start.

-- +goose Up
ALTER TABLE setting
    ADD COLUMN nightly_param text CHECK (nightly_param ~ '^[a-z][a-z0-9_]*$' AND nightly_param NOT IN (
        -- the run's own columns (nightly_param_sql)
        'run_id', 'as_of', 'cutoff', 'profit_from', 'recent_from', 'base_from', 'scan_from', 'churn_from',
        'series_len', 'input_from', 'contacts_to', 'sample_share', 'sample_salt', 'keep_months')),
    ADD COLUMN nightly_type text CHECK (nightly_type IN ('integer', 'numeric', 'float8', 'text[]')),
    ADD CONSTRAINT setting_nightly_check CHECK ((nightly_param IS NULL) = (nightly_type IS NULL));
CREATE UNIQUE INDEX setting_nightly_param_idx ON setting (nightly_param);
COMMENT ON COLUMN setting.nightly_param IS
    'The column of the nightly run''s parameter row (nightly_w_param) that holds this setting; null: the run does not read it';
COMMENT ON COLUMN setting.nightly_type IS
    'The SQL type of that column: integer, numeric, float8, or text[] (a comma-separated list)';

-- The settings the run reads, with the names and types its statements have
-- always used (ratios are numeric where they were compared or multiplied as
-- numeric, float8 where they feed float arithmetic: the weights).
UPDATE setting s SET nightly_param = v.param, nightly_type = v.type
FROM (VALUES
    ('segment.profit_window_months', 'profit_window', 'integer'),
    ('segment.min_clients', 'min_clients', 'integer'),
    ('profile.best_min_tenure_months', 'best_min_tenure', 'integer'),
    ('profile.ideal_adoption', 'ideal_adoption', 'numeric'),
    ('profile.min_best_clients', 'min_best_clients', 'integer'),
    ('profile.min_best_holders', 'min_best_holders', 'integer'),
    ('trigger.control_share', 'control_share', 'numeric'),
    ('trigger.cooldown_days', 'cooldown_days', 'integer'),
    ('trigger.max_open_per_client', 'max_open', 'integer'),
    ('trigger.interest_weight', 'interest_weight', 'float8'),
    ('trigger.excluded_families', 'excluded_families', 'text[]'),
    ('trigger.win_window_months', 'win_months', 'integer'),
    ('trigger.takeup_min_cases', 'takeup_min_cases', 'integer'),
    ('warning.recent_months', 'recent_months', 'integer'),
    ('warning.base_months', 'base_months', 'integer'),
    ('warning.turnover_drop', 'turnover_drop', 'numeric'),
    ('warning.balance_drop', 'balance_drop', 'numeric'),
    ('warning.tx_drop', 'tx_drop', 'numeric'),
    ('warning.closed_product_days', 'closed_days', 'integer'),
    ('warning.income_fall_months', 'income_fall_months', 'integer'),
    ('warning.lifetime_margin_months', 'lifetime_margin', 'integer'),
    ('warning.lifetime_min_leavers', 'lifetime_min_leavers', 'integer'),
    ('warning.no_contact_days', 'no_contact_days', 'integer'),
    ('warning.level_high', 'level_high', 'integer'),
    ('warning.level_watch', 'level_watch', 'integer'),
    ('warning.weight_intercept', 'w_intercept', 'float8'),
    ('warning.weight_turnover', 'w_turnover', 'float8'),
    ('warning.weight_balance', 'w_balance', 'float8'),
    ('warning.weight_tx', 'w_tx', 'float8'),
    ('warning.weight_closed', 'w_closed', 'float8'),
    ('warning.weight_income', 'w_income', 'float8'),
    ('warning.weight_lifetime', 'w_lifetime', 'float8'),
    ('warning.weight_contact', 'w_contact', 'float8'),
    ('stage.onboarding_months', 'onboarding_months', 'integer'),
    ('stage.trend_change', 'stage_trend', 'numeric'),
    ('ltv.max_years', 'ltv_max_years', 'integer')
) AS v (key, param, type)
WHERE s.key = v.key;

-- nightly_param_problems lists what is wrong with the values of the settings
-- the run reads, one row per setting, naming it: no value, or not a number of
-- its column's type. An admin's change is validated already, bounds included
-- (settings.Validate); this catches a value written by hand or by a
-- migration, before the run writes anything. It does not hold a value to the
-- setting's bounds, which are the admin page's: a run took such a value
-- before, and tests rely on it (trigger.control_share 1: every trigger in the
-- control group).
-- +goose StatementBegin
CREATE FUNCTION nightly_param_problems() RETURNS TABLE (key text, problem text)
LANGUAGE sql STABLE AS $$
SELECT x.key, x.problem
FROM (
    SELECT v.key,
           CASE WHEN v.type = 'text[]' THEN NULL
                WHEN v.value = '' THEN format('setting %s has no value', v.key)
                WHEN v.type = 'integer' AND v.value !~ '^[+-]?[0-9]{1,9}$'
                    THEN format('setting %s: %s is not a whole number', v.key, to_json(v.value))
                WHEN v.type <> 'integer' AND v.value !~ '^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$'
                    THEN format('setting %s: %s is not a number', v.key, to_json(v.value))
           END AS problem
    FROM (SELECT s.key, btrim(s.value) AS value, s.nightly_type AS type
          FROM setting s
          WHERE s.nightly_param IS NOT NULL) v
) x
WHERE x.problem IS NOT NULL
ORDER BY x.key;
$$;
-- +goose StatementEnd

-- nightly_param_check raises the problems of nightly_param_problems, if any,
-- in one error naming every setting at fault.
-- +goose StatementBegin
CREATE FUNCTION nightly_param_check() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    problems text;
BEGIN
    SELECT string_agg(p.problem, '; ' ORDER BY p.key) INTO problems FROM nightly_param_problems() p;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'the nightly run''s settings are not usable: %', problems
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Correct them on the settings page.';
    END IF;
END $$;
-- +goose StatementEnd

-- nightly_param_sql is the SELECT that builds the run's parameter row from
-- the setting table: the run's own columns and one column per registered
-- setting (nightly_param), its value cast to its type (nightly_type; a list:
-- its trimmed, non-empty items in order). The run's own columns: its id; the
-- as-of month; cutoff, the first day after it (nothing dated on or after it
-- is read); the first months of the profitability, recent and base windows,
-- which end with the as-of month; series_len, how many of the last months'
-- income and transactions each client carries (enough for the income run
-- and the activity recency); input_from, the start of the churn model's
-- 12-month window; scan_from, the first month of facts the run reads;
-- churn_from, the start of the 12 months over which churn is counted;
-- contacts_to, the day contacts are counted to (today for the latest
-- month's run, so that a call made today clears the no-contact signal
-- today; the end of the as-of month otherwise); run_at, the run's time, from
-- which cool-downs are counted (a test plays the nights of later days with
-- it); and a replay's sample
-- (sample_share: the share of staying clients it reads, 1 for a run;
-- sample_salt, which varies the sample by month; keep_months: a sampling
-- replay keeps every client that leaves within this many months). The
-- arguments become literals of the statement; shape_only gives every
-- setting's column a null of its type, for the empty table.
-- +goose StatementBegin
CREATE FUNCTION nightly_param_sql(shape_only boolean, run_id bigint, as_of date, contacts_today boolean,
                                  sample_share float8, keep_months integer, run_at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT format($q$
SELECT %s::bigint AS run_id, r.as_of, w.cutoff, w.profit_from, w.recent_from, w.base_from,
       least(w.profit_from, w.base_from, w.series_from, w.input_from) AS scan_from,
       (w.cutoff - interval '12 months')::date AS churn_from, w.series_len, w.input_from,
       CASE WHEN %s AND %L::timestamptz::date > w.cutoff THEN %L::timestamptz::date ELSE w.cutoff END AS contacts_to,
       %L::timestamptz AS run_at,
       %s::float8 AS sample_share,
       (extract(year FROM r.as_of) * 12 + extract(month FROM r.as_of))::bigint AS sample_salt,
       %s::integer AS keep_months, s.*
FROM (SELECT %s) s
CROSS JOIN (SELECT %s::date AS as_of) r
CROSS JOIN LATERAL (
    SELECT (r.as_of + interval '1 month')::date AS cutoff,
           (r.as_of - make_interval(months => s.profit_window - 1))::date AS profit_from,
           (r.as_of - make_interval(months => s.recent_months - 1))::date AS recent_from,
           (r.as_of - make_interval(months => s.recent_months - 1 + s.base_months))::date AS base_from,
           greatest(s.income_fall_months, 5) + 1 AS series_len,
           (r.as_of - make_interval(months => greatest(s.income_fall_months, 5)))::date AS series_from,
           (r.as_of - interval '11 months')::date AS input_from
) w$q$,
    coalesce(run_id::text, 'NULL'), CASE WHEN contacts_today THEN 'true' ELSE 'false' END, run_at, run_at, run_at,
    coalesce(sample_share, 1),
    coalesce(keep_months, 12),
    string_agg(CASE WHEN shape_only THEN format('NULL::%s AS %I', s.nightly_type, s.nightly_param)
                    WHEN s.nightly_type = 'text[]'
                        THEN format('ARRAY(SELECT btrim(i) FROM unnest(string_to_array(%L, '','')) WITH ORDINALITY AS u(i, n)'
                                    ' WHERE btrim(i) <> '''' ORDER BY n) AS %I', s.value, s.nightly_param)
                    -- as Go read a ratio: a float, then its shortest decimal
                    WHEN s.nightly_type = 'numeric' THEN format('%L::float8::numeric AS %I', btrim(s.value), s.nightly_param)
                    ELSE format('%L::%s AS %I', btrim(s.value), s.nightly_type, s.nightly_param)
               END, ', ' ORDER BY s.nightly_param),
    coalesce(quote_literal(to_char(as_of, 'YYYY-MM-DD')), 'NULL'))
FROM setting s
WHERE s.nightly_param IS NOT NULL;
$$;
-- +goose StatementEnd

-- nightly_param builds the run's parameter row, nightly_w_param, in the first
-- schema of the search path (a replay's own; the caller drops the old table
-- first), after checking every setting it reads: a bad value fails here,
-- naming the setting, before anything is written.
-- +goose StatementBegin
CREATE FUNCTION nightly_param(run_id bigint, as_of date, contacts_today boolean,
                              sample_share float8 DEFAULT 1, keep_months integer DEFAULT 12,
                              run_at timestamptz DEFAULT now()) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nightly_param_check();
    EXECUTE 'CREATE UNLOGGED TABLE nightly_w_param AS '
        || nightly_param_sql(false, run_id, as_of, contacts_today, sample_share, keep_months, run_at);
END $$;
-- +goose StatementEnd

-- nightly_param_shape (re)builds the empty working table with the columns
-- the registry gives, so that the run's statements are checked at start
-- against the columns the run will build.
-- +goose StatementBegin
CREATE FUNCTION nightly_param_shape() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS nightly_w_param;
    EXECUTE 'CREATE UNLOGGED TABLE nightly_w_param AS '
        || nightly_param_sql(true, NULL, NULL, false, 1, 12, NULL) || ' WITH NO DATA';
END $$;
-- +goose StatementEnd

-- The registry's triggers: a change to it (a nightly setting added, renamed,
-- retyped or unregistered) reshapes the empty working table; a registered
-- setting cannot be deleted while the run reads it.
-- +goose StatementBegin
CREATE FUNCTION setting_nightly_reshape() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nightly_param_shape();
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER setting_nightly_reshape AFTER INSERT OR UPDATE OF nightly_param, nightly_type ON setting
    FOR EACH STATEMENT EXECUTE FUNCTION setting_nightly_reshape();
-- +goose StatementBegin
CREATE FUNCTION setting_nightly_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'setting % is read by the nightly run (as %): remove its uses and set its nightly_param to null before deleting it',
        OLD.key, OLD.nightly_param
        USING ERRCODE = 'restrict_violation';
END $$;
-- +goose StatementEnd
CREATE TRIGGER setting_nightly_keep BEFORE DELETE ON setting
    FOR EACH ROW WHEN (OLD.nightly_param IS NOT NULL) EXECUTE FUNCTION setting_nightly_keep();

-- The working table as the registry shapes it.
SELECT nightly_param_shape();
