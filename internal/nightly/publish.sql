-- The publish step: the published results are built from the working tables
-- into <table>_new, indexed, then switched in (nightly_switch_in), checked,
-- and the triggers raised and expired, all in one short transaction.
-- Every column is cast to the type migration 00002 gives it.

-- name: segment-profile
CREATE TABLE segment_profile_new AS
SELECT s.segment_id::bigint, p.as_of::date, s.level::smallint, s.group_id::smallint, s.bank_id::smallint,
       s.size::integer, s.assigned::integer, s.best::integer AS best_clients,
       s.ideal_income::bigint, s.avg_income::bigint,
       coalesce(ip.product_ids, '{}')::smallint[] AS ideal_product_ids,
       ch.churn_base::integer, ch.churn_leavers::integer, ch.churn_rate::float8, ch.expected_years::numeric,
       round(s.avg_income * 12 * ch.expected_years)::bigint AS ltv, s.profile_id::bigint AS profile_segment_id
FROM nightly_w_segment s
JOIN nightly_w_churn ch ON ch.segment_id = s.segment_id
-- the ideal set, grouped once (a subquery per segment took seconds at 1 M clients)
LEFT JOIN (SELECT sp.segment_id, array_agg(sp.product_id ORDER BY sp.adoption DESC, sp.product_id) AS product_ids
           FROM nightly_w_segment_product sp
           WHERE sp.in_ideal
           GROUP BY sp.segment_id) ip ON ip.segment_id = s.segment_id
CROSS JOIN nightly_w_param p;

-- name: segment-profile-index
ALTER TABLE segment_profile_new ADD CONSTRAINT segment_profile_new_pkey PRIMARY KEY (segment_id);

-- name: segment-product
CREATE TABLE segment_product_new AS
SELECT sp.segment_id::bigint, sp.product_id::smallint, p.as_of::date, sp.holders::integer,
       sp.best_holders::integer, sp.adoption::float8, sp.in_ideal::boolean, sp.value_holders::integer,
       sp.value::bigint
FROM nightly_w_segment_product sp
CROSS JOIN nightly_w_param p;

-- name: segment-product-index
ALTER TABLE segment_product_new ADD CONSTRAINT segment_product_new_pkey PRIMARY KEY (segment_id, product_id);

-- name: segment-stage
-- LTV by lifecycle stage: the stage's average monthly income x 12 x the
-- segment's expected remaining years.
CREATE TABLE segment_stage_new AS
SELECT m.segment_id::bigint, st.stage::text, p.as_of::date, count(*)::integer AS clients,
       round(avg(m.profitability))::bigint AS avg_income,
       round(avg(m.profitability) * 12 * ch.expected_years)::bigint AS ltv
FROM nightly_w_member m
JOIN nightly_w_level st ON st.client_id = m.client_id
JOIN nightly_w_churn ch ON ch.segment_id = m.segment_id
CROSS JOIN nightly_w_param p
GROUP BY m.segment_id, st.stage, p.as_of, ch.expected_years;

-- name: segment-stage-index
ALTER TABLE segment_stage_new ADD CONSTRAINT segment_stage_new_pkey PRIMARY KEY (segment_id, stage);

-- name: client-score
-- The ideal is that of the segment whose profile applies (the client's own or
-- a coarser one); with none yet, the ideal, gap and score are null: the card
-- says no ideal exists yet rather than showing the client at it.
-- Score = 100 x profitability / ideal, capped to 0-100; CLV = annual income
-- discounted at the bank's rate over the expected remaining years: year t
-- counts 1 / (1 + rate)^t, a part year pro rata at the next year's rate.
CREATE TABLE client_score_new AS
WITH factor AS (
    SELECT ch.segment_id, b.id AS bank_id,
           (SELECT coalesce(sum(power(1 + b.discount_rate, -t)), 0)
            FROM generate_series(1, floor(ch.expected_years)::integer) AS t)
           + (ch.expected_years - floor(ch.expected_years)) * power(1 + b.discount_rate, -(floor(ch.expected_years) + 1)) AS f
    FROM nightly_w_churn ch
    JOIN segment sg ON sg.id = ch.segment_id
    JOIN bank b ON b.group_id = sg.group_id AND b.currency = sg.currency
               AND (sg.bank_id IS NULL OR b.id = sg.bank_id)
    WHERE ch.expected_years IS NOT NULL
)
SELECT c.client_id::bigint, p.as_of::date, m.segment_id::bigint, s.level::smallint, c.tenure_months::integer,
       c.band::smallint AS tenure_band, c.profit_months::integer, c.profitability::bigint,
       chr(64 + m.quintile)::char(1) AS profit_band, ps.ideal_income::bigint,
       (CASE WHEN ps.ideal_income IS NOT NULL THEN greatest(ps.ideal_income - c.profitability, 0) END)::bigint AS gap,
       (CASE WHEN ps.ideal_income IS NULL THEN NULL WHEN ps.ideal_income <= 0 THEN 100
             ELSE least(100, greatest(0, round(100.0 * c.profitability / ps.ideal_income))) END)::smallint AS score,
       sg.stage::text, round(c.income_recent / nullif(c.recent_months, 0))::bigint AS income_recent,
       round(c.income_base / nullif(c.base_months, 0))::bigint AS income_base,
       sg.rfm_r::smallint, sg.rfm_f::smallint, sg.rfm_m::smallint, sg.activity::text,
       sg.score::smallint AS churn_score, sg.level::text AS warning_level,
       ch.churn_rate::float8, ch.expected_years::numeric,
       round(c.profitability * 12 * f.f)::bigint AS clv, s.profile_id::bigint AS profile_segment_id
FROM nightly_w_client c
JOIN nightly_w_member m ON m.client_id = c.client_id AND m.assigned
JOIN nightly_w_segment s ON s.segment_id = m.segment_id
LEFT JOIN nightly_w_segment ps ON ps.segment_id = s.profile_id
JOIN nightly_w_level sg ON sg.client_id = c.client_id
JOIN nightly_w_churn ch ON ch.segment_id = m.segment_id
LEFT JOIN factor f ON f.segment_id = m.segment_id AND f.bank_id = c.bank_id
CROSS JOIN nightly_w_param p;

-- name: client-score-redate
-- A quick run's client scores, updated in place in its final transaction:
-- of client-score's columns, only those the warnings step redoes (from
-- nightly_w_level: stage, RFM, activity cell, churn score and level) can
-- move on a quick night, every other input being kept (the same clients, the
-- same as-of month), so only the rows whose level columns differ are written
-- (cast as client-score casts them).
UPDATE client_score cs
SET stage = sg.stage::text, rfm_r = sg.rfm_r::smallint, rfm_f = sg.rfm_f::smallint, rfm_m = sg.rfm_m::smallint,
    activity = sg.activity::text, churn_score = sg.score::smallint, warning_level = sg.level::text
FROM nightly_w_level sg
WHERE sg.client_id = cs.client_id
  AND (cs.stage, cs.rfm_r, cs.rfm_f, cs.rfm_m, cs.activity, cs.churn_score, cs.warning_level)
      IS DISTINCT FROM (sg.stage::text, sg.rfm_r::smallint, sg.rfm_f::smallint, sg.rfm_m::smallint,
                        sg.activity::text, sg.score::smallint, sg.level::text);

-- name: client-score-index
ALTER TABLE client_score_new ADD CONSTRAINT client_score_new_pkey PRIMARY KEY (client_id);

-- name: client-score-segment-index
CREATE INDEX client_score_new_segment_idx ON client_score_new (segment_id);

-- name: client-warning
-- The clients whose score reached warning.level_watch, with the figures of
-- every signal as data: its message key and named figures (internal/reasons
-- writes them in the reader's language; migration 00024). A signal fires at its threshold; warned_since carries
-- over while the client stays warned. The last columns (migration 00007) are
-- what the churn list filters, scopes and orders by, copied so that it reads
-- client_warning alone: where the client stands and its name as the run read
-- them, and its CLV as client-score computes it (client_score_new cannot be
-- named here: the statements are prepared at start, before it exists; the
-- check below holds the two the same).
CREATE TABLE client_warning_new AS
WITH factor AS (
    SELECT ch.segment_id, b.id AS bank_id,
           (SELECT coalesce(sum(power(1 + b.discount_rate, -t)), 0)
            FROM generate_series(1, floor(ch.expected_years)::integer) AS t)
           + (ch.expected_years - floor(ch.expected_years)) * power(1 + b.discount_rate, -(floor(ch.expected_years) + 1)) AS f
    FROM nightly_w_churn ch
    JOIN segment sg ON sg.id = ch.segment_id
    JOIN bank b ON b.group_id = sg.group_id AND b.currency = sg.currency
               AND (sg.bank_id IS NULL OR b.id = sg.bank_id)
    WHERE ch.expected_years IS NOT NULL
)
SELECT c.client_id::bigint, p.as_of::date, c.bank_id::smallint, c.manager_id::integer,
       lv.score::smallint, lv.level::text,
       (CASE WHEN prev.warned_since IS NOT NULL AND prev.as_of <= p.as_of THEN prev.warned_since
             ELSE p.as_of END)::date AS warned_since,
       a.turnover_recent, a.turnover_base, sg.turnover_value::float8,
       coalesce(sg.turnover_value > p.turnover_drop, false)::boolean AS turnover_fired,
       sg.s_turnover::float8 AS turnover_strength,
       coalesce(greatest(sc.contribs[1], 0) / nullif(sh.positive, 0), 0)::float8 AS turnover_share,
       CASE WHEN sg.turnover_value IS NULL THEN '{"key": "signal.turnover.unknown"}'::jsonb
            ELSE jsonb_build_object('key', 'signal.turnover', 'recent_months', p.recent_months,
                                    'recent', a.turnover_recent, 'base_months', p.base_months,
                                    'base', a.turnover_base, 'fall', sg.turnover_value) END AS turnover_figures,
       a.balance_recent, a.balance_base, sg.balance_value::float8,
       coalesce(sg.balance_value > p.balance_drop, false)::boolean AS balance_fired,
       sg.s_balance::float8 AS balance_strength,
       coalesce(greatest(sc.contribs[2], 0) / nullif(sh.positive, 0), 0)::float8 AS balance_share,
       CASE WHEN sg.balance_value IS NULL THEN '{"key": "signal.balance.unknown"}'::jsonb
            ELSE jsonb_build_object('key', 'signal.balance', 'recent_months', p.recent_months,
                                    'recent', a.balance_recent, 'base_months', p.base_months,
                                    'base', a.balance_base, 'fall', sg.balance_value) END AS balance_figures,
       a.tx_recent, a.tx_base, sg.tx_value::float8,
       coalesce(sg.tx_value > p.tx_drop, false)::boolean AS tx_fired,
       sg.s_tx::float8 AS tx_strength,
       coalesce(greatest(sc.contribs[3], 0) / nullif(sh.positive, 0), 0)::float8 AS tx_share,
       CASE WHEN sg.tx_value IS NULL THEN '{"key": "signal.transactions.unknown"}'::jsonb
            ELSE jsonb_build_object('key', 'signal.transactions', 'recent_months', p.recent_months,
                                    'recent', a.tx_recent, 'base_months', p.base_months,
                                    'base', a.tx_base, 'fall', sg.tx_value) END AS tx_figures,
       sg.closed_product_id::smallint, sg.closed_on::date, sg.closed_key::boolean, sg.closed_value::float8,
       coalesce(sg.closed_recent <= p.closed_days, false)::boolean AS closed_fired,
       sg.s_closed::float8 AS closed_strength,
       coalesce(greatest(sc.contribs[4], 0) / nullif(sh.positive, 0), 0)::float8 AS closed_share,
       CASE WHEN sg.closed_product_id IS NULL
            THEN jsonb_build_object('key', 'signal.product-closed.none', 'days', 2 * p.closed_days)
            ELSE jsonb_build_object('key', 'signal.product-closed', 'product', pr.name, 'key_product', sg.closed_key,
                                    'days', sg.closed_value, 'closed_on', sg.closed_on,
                                    'latest_days', sg.closed_recent) END AS closed_figures,
       sg.income_from::bigint, sg.income_to::bigint, sg.income_months::float8 AS income_value,
       (sg.income_months >= p.income_fall_months)::boolean AS income_fired,
       sg.s_income::float8 AS income_strength,
       coalesce(greatest(sc.contribs[5], 0) / nullif(sh.positive, 0), 0)::float8 AS income_share,
       CASE WHEN sg.income_months = 0 OR sg.income_fall IS NULL THEN '{"key": "signal.income-falling.none"}'::jsonb
            ELSE jsonb_build_object('key', 'signal.income-falling', 'months', sg.income_months,
                                    'from', sg.income_from, 'to', sg.income_to, 'fall', sg.income_fall)
            END AS income_figures,
       sg.lifetime_typical::float8, sg.lifetime_leavers::integer, sg.lifetime_level::smallint,
       sg.tenure_months::integer AS lifetime_tenure, sg.lifetime_value::float8,
       coalesce(sg.lifetime_value <= p.lifetime_margin, false)::boolean AS lifetime_fired,
       sg.s_lifetime::float8 AS lifetime_strength,
       coalesce(greatest(sc.contribs[6], 0) / nullif(sh.positive, 0), 0)::float8 AS lifetime_share,
       CASE WHEN sg.lifetime_typical IS NULL THEN '{"key": "signal.lifetime.unknown"}'::jsonb
            ELSE jsonb_build_object('key', 'signal.lifetime', 'tenure', sg.tenure_months,
                                    'typical', sg.lifetime_typical, 'leavers', sg.lifetime_leavers,
                                    'where', sg.lifetime_label) END AS lifetime_figures,
       k.contact_last::date, k.contact_value::float8,
       (k.contact_value > p.no_contact_days)::boolean AS contact_fired,
       k.s_contact::float8 AS contact_strength,
       coalesce(greatest(sc.contribs[7], 0) / nullif(sh.positive, 0), 0)::float8 AS contact_share,
       CASE WHEN k.contact_last IS NULL
            THEN jsonb_build_object('key', 'signal.no-contact.never', 'days', k.contact_value)
            ELSE jsonb_build_object('key', 'signal.no-contact', 'days', k.contact_value, 'last', k.contact_last)
            END AS contact_figures,
       c.group_id::smallint, c.region_id::smallint, c.branch_id::integer, c.industry_id::smallint,
       cl.legal_name::text, round(c.profitability * 12 * f.f)::bigint AS clv,
       lv.probability::float8, lv.model_id::bigint
FROM nightly_w_signal sg
JOIN nightly_w_level lv ON lv.client_id = sg.client_id
JOIN nightly_w_score sc ON sc.client_id = sg.client_id
JOIN nightly_w_contact k ON k.client_id = sg.client_id
-- each signal's share: its contribution over the sum of the contributions
-- that raise the score
CROSS JOIN LATERAL (SELECT sum(greatest(v, 0)) AS positive FROM unnest(sc.contribs) v) sh
JOIN nightly_w_client c ON c.client_id = sg.client_id
JOIN client cl ON cl.id = sg.client_id
LEFT JOIN nightly_w_member mb ON mb.client_id = sg.client_id AND mb.assigned
LEFT JOIN factor f ON f.segment_id = mb.segment_id AND f.bank_id = c.bank_id
CROSS JOIN nightly_w_param p
-- the window averages, exact, for the figures
CROSS JOIN LATERAL (
    SELECT round(c.turnover_recent / nullif(c.recent_months, 0))::bigint AS turnover_recent,
           round(c.turnover_base / nullif(c.base_months, 0))::bigint AS turnover_base,
           round(c.balance_recent / nullif(c.recent_months, 0))::bigint AS balance_recent,
           round(c.balance_base / nullif(c.base_months, 0))::bigint AS balance_base,
           c.tx_recent::float8 / nullif(c.recent_months, 0) AS tx_recent,
           c.tx_base::float8 / nullif(c.base_months, 0) AS tx_base) a
LEFT JOIN product pr ON pr.id = sg.closed_product_id
LEFT JOIN client_warning prev ON prev.client_id = sg.client_id
WHERE lv.level IS NOT NULL;

-- name: client-warning-index
ALTER TABLE client_warning_new ADD CONSTRAINT client_warning_new_pkey PRIMARY KEY (client_id);

-- name: client-warning-manager-index
CREATE INDEX client_warning_new_manager_idx ON client_warning_new (manager_id, probability DESC, client_id)
    INCLUDE (bank_id, region_id, branch_id, industry_id, group_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired, clv, warned_since, legal_name);

-- name: client-warning-score-index
CREATE INDEX client_warning_new_score_idx ON client_warning_new (probability DESC, client_id);

-- name: client-warning-group-index
-- The churn list of a banking group (the risk team) and of a branch (its
-- head), riskiest first; a manager's uses the manager index. Each carries
-- what the list filters and sorts by and the row policy's columns, so that a
-- page and its count are index-only scans (migration 00015).
CREATE INDEX client_warning_new_group_idx ON client_warning_new (group_id, probability DESC, client_id)
    INCLUDE (bank_id, region_id, branch_id, industry_id, manager_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired, clv, warned_since, legal_name);

-- name: client-warning-branch-index
CREATE INDEX client_warning_new_branch_idx ON client_warning_new (branch_id, probability DESC, client_id)
    INCLUDE (bank_id, region_id, group_id, industry_id, manager_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired, clv, warned_since, legal_name);

-- name: client-warning-group-count-index
-- The count of the risk team's churn list: the group's warnings with only
-- what the filters and the row policy read, keyed by bank and level, less
-- than half the pages of the group index (migration 00029).
CREATE INDEX client_warning_new_group_count_idx ON client_warning_new (group_id, bank_id, level)
    INCLUDE (region_id, branch_id, industry_id, manager_id, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired);

-- name: client-warning-group-clv-index
-- The risk team's churn list by value at risk, highest first, read in order
-- with a limit (migration 00029).
CREATE INDEX client_warning_new_group_clv_idx ON client_warning_new (group_id, clv DESC NULLS LAST, probability DESC, client_id)
    INCLUDE (bank_id, region_id, branch_id, industry_id, manager_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired);

-- name: client-churn
-- Every active client's churn probability, its scorer, and its inputs and
-- their contributions in the registry's order (as real: they are for reading;
-- the score was computed from the exact inputs).
CREATE TABLE client_churn_new AS
SELECT i.client_id::bigint, p.as_of::date, i.bank_id::smallint, sc.model_id::bigint, sc.z::float8,
       sc.probability::float8, sc.score::smallint, i.x::real[] AS inputs, sc.contribs::real[] AS contribs
FROM nightly_w_input i
JOIN nightly_w_score sc ON sc.client_id = i.client_id
CROSS JOIN nightly_w_param p;

-- name: client-churn-index
ALTER TABLE client_churn_new ADD CONSTRAINT client_churn_new_pkey PRIMARY KEY (client_id);

-- name: bank-churn-scorer
-- Per bank, the scorer the run used and the input codes of the arrays.
-- $1 the registry's input codes
CREATE TABLE bank_churn_scorer_new AS
SELECT sc.bank_id::smallint, p.as_of::date, max(sc.model_id)::bigint AS model_id, $1::text[] AS input_codes
FROM nightly_w_score sc
CROSS JOIN nightly_w_param p
GROUP BY sc.bank_id, p.as_of;

-- name: bank-churn-scorer-index
ALTER TABLE bank_churn_scorer_new ADD CONSTRAINT bank_churn_scorer_new_pkey PRIMARY KEY (bank_id);

-- name: trigger-effect
-- The effectiveness of triggers: per bank, product, segment level (of the
-- segment the trigger was learned from), month raised and group (shown or
-- held back), the triggers whose take-up window has passed (their outcome
-- written by an earlier run or by this one), how many were taken, the income
-- the product brought over the window and the value expected.
CREATE TABLE trigger_effect_new AS
WITH judged AS (
    SELECT t.client_id, t.product_id, t.segment_id, t.raised_as_of, t.hidden, t.expected_value,
           coalesce(o.taken_on, t.taken_on) AS taken_on, coalesce(o.income_after, t.income_after, 0) AS income_after
    FROM cross_sell_trigger t
    LEFT JOIN nightly_w_outcome o ON o.id = t.id
    WHERE t.outcome_as_of IS NOT NULL OR o.id IS NOT NULL
)
SELECT c.bank_id::smallint, j.product_id::smallint, s.level::smallint, j.raised_as_of::date, j.hidden::boolean,
       p.as_of::date, count(*)::integer AS triggers, count(j.taken_on)::integer AS taken,
       sum(j.income_after)::bigint AS income_after, sum(j.expected_value)::bigint AS expected_value,
       coalesce(sum(j.expected_value) FILTER (WHERE j.taken_on IS NOT NULL), 0)::bigint AS taken_expected
FROM judged j
JOIN client c ON c.id = j.client_id
JOIN segment s ON s.id = j.segment_id
CROSS JOIN nightly_w_param p
GROUP BY c.bank_id, j.product_id, s.level, j.raised_as_of, j.hidden, p.as_of;

-- name: trigger-effect-index
ALTER TABLE trigger_effect_new ADD CONSTRAINT trigger_effect_new_pkey PRIMARY KEY (bank_id, product_id, level, raised_as_of, hidden);

-- name: trigger-takeup
CREATE TABLE trigger_takeup_new AS
SELECT tu.bank_id::smallint, tu.product_id::smallint, tu.level::smallint, p.as_of::date, tu.triggers::integer,
       tu.taken::integer, tu.base_clients::integer, tu.base_taken::integer, tu.factor::float8
FROM nightly_w_takeup tu
CROSS JOIN nightly_w_param p;

-- name: trigger-takeup-index
ALTER TABLE trigger_takeup_new ADD CONSTRAINT trigger_takeup_new_pkey PRIMARY KEY (bank_id, product_id, level);

-- name: lock-timeout
-- The switch waits this long for readers of the old results, then the run fails
-- and leaves them as they were.
SET LOCAL lock_timeout = '60s';

-- name: switch
-- $1 the published tables switched in whole (steps.go: publishedTables):
-- every one on a full run, those whose rows all move with the day on a quick one.
SELECT nightly_switch_in($1::text[]);

-- name: merge
-- $1 a published table a quick run publishes by difference: only its rows
-- that changed are written (nightly_merge_in, migration 00028); the rows
-- written, or -1 when its columns changed and it was switched in whole.
SELECT nightly_merge_in($1);

-- name: check
-- Checks the switched-in results before they are committed; an empty answer
-- means they are sound. Each big table is read once for all of its checks
-- (the active clients, client_score and client_churn: three passes where
-- there were seven).
WITH active AS (
    SELECT count(*) AS n FROM nightly_w_client
), score AS (
    SELECT count(*) AS n,
           count(*) FILTER (WHERE sp.segment_id IS NULL) AS no_profile,
           count(*) FILTER (WHERE cs.score NOT BETWEEN 0 AND 100 OR cs.churn_score NOT BETWEEN 0 AND 100
                               OR cs.profit_band NOT IN ('A', 'B', 'C', 'D', 'E')
                               OR cs.stage NOT IN ('onboarding', 'ramp_up', 'plateau', 'decline')
                               OR cs.gap < 0) AS out_of_range
    FROM client_score cs
    LEFT JOIN segment_profile sp ON sp.segment_id = cs.segment_id
), churn AS (
    SELECT count(*) AS n,
           count(*) FILTER (WHERE NOT (probability BETWEEN 0 AND 1) OR z = 'NaN'::float8
                               OR z IN ('Infinity', '-Infinity')) AS bad
    FROM client_churn
)
SELECT concat_ws('; ',
    (SELECT format('client_score has %s rows for %s active clients', s.n, a.n)
     FROM score s, active a WHERE s.n <> a.n),
    (SELECT format('%s clients have a segment without a profile', s.no_profile) FROM score s WHERE s.no_profile > 0),
    (SELECT format('%s clients have a score, band or stage out of range', s.out_of_range)
     FROM score s WHERE s.out_of_range > 0),
    (SELECT format('%s segments have no clients or more best clients than clients', count(*))
     FROM segment_profile
     WHERE size < 1 OR best_clients > size OR assigned > size
     HAVING count(*) > 0),
    (SELECT format('%s products have an adoption out of 0-1', count(*))
     FROM segment_product
     WHERE adoption < 0 OR adoption > 1
     HAVING count(*) > 0),
    (SELECT format('%s warnings are not for a scored client', count(*))
     FROM client_warning w
     WHERE NOT EXISTS (SELECT 1 FROM client_score cs WHERE cs.client_id = w.client_id)
     HAVING count(*) > 0),
    (SELECT format('client_churn has %s rows for %s active clients', c.n, a.n)
     FROM churn c, active a WHERE c.n <> a.n),
    (SELECT format('%s churn probabilities are out of 0-1 or not finite', c.bad) FROM churn c WHERE c.bad > 0),
    (SELECT format('%s warnings carry another CLV than their client''s score', count(*))
     FROM client_warning w
     JOIN client_score cs ON cs.client_id = w.client_id
     WHERE w.clv IS DISTINCT FROM cs.clv
     HAVING count(*) > 0));
