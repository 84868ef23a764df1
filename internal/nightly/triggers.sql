-- The triggers step. Triggers live with the manager, so the step works out
-- what to change (which open triggers expire, which won ones the data now
-- confirms, which to raise) into working tables, and the run's final
-- transaction applies those changes (confirm, expire, raise below), checking
-- again each row it touches. A candidate is an active client and a product of
-- the ideal set its segment's profile gives (its own segment's, or a coarser
-- one's when its own has too few best clients) that it does not hold, of a
-- family not left out of triggers (trigger.excluded_families); expected
-- value: the product's monthly value in the segment x 12; priority: expected
-- value x adoption x the weight of its kind of income (fee 1,
-- trigger.interest_weight for interest) x its take-up factor.
--
-- A quick night (nothing changed since the last run but the date) redoes the
-- expire and raise lists for its scope only ($1 of expire-list and
-- raise-list: the clients whose triggers can move tonight, from scope; null
-- on a full night: every client). The run before raised every candidate it
-- had room for and wrote every expiry its inputs called for, and none of
-- those inputs has changed since, so what the date alone moves is the
-- cool-downs that end (counted back from the run's time). The confirm and
-- outcome lists read the won triggers and those without an outcome through
-- their own indexes and are redone whole; the take-up factors (takeup) read
-- only judged triggers and kept tables, and are kept.

-- name: scope
-- The clients whose triggers a quick night can move: those with a trigger
-- whose cool-down ended between the kept run's time and this run's, and,
-- when the take-up offers are scored again ($1), those the kept run raised
-- triggers for by a take-up model (their offers read what was offered
-- before; other clients have no offers).
-- Null when the kept run's time is not known (the lists are then redone for
-- every client).
SELECT CASE WHEN k.run_at IS NOT NULL THEN
           coalesce((SELECT array_agg(s.client_id ORDER BY s.client_id)
                     FROM (SELECT t.client_id
                           FROM cross_sell_trigger t
                           WHERE t.status IN ('won', 'lost', 'dismissed')
                             AND t.closed_at > k.run_at - make_interval(days => p.cooldown_days)
                             AND t.closed_at <= p.run_at - make_interval(days => p.cooldown_days)
                           UNION
                           SELECT t.client_id
                           FROM cross_sell_trigger t
                           WHERE $1::boolean AND t.run_id = k.run_id AND t.takeup_model_id IS NOT NULL
                             -- through cross_sell_trigger_outcome_idx: raised as of this month, not judged
                             AND t.raised_as_of = p.as_of AND t.outcome_as_of IS NULL) s), '{}') END
FROM nightly_w_param p
LEFT JOIN nightly_w_kept k ON true;

-- name: expire-list
-- Open triggers with no candidate behind them any more, and why. A trigger a
-- take-up model raised does not need its product in the ideal set. When a
-- bank's offers change hands between the ideal-set rule and a take-up model
-- (their priorities are on other scales), the triggers the other raised that
-- no manager has touched yet (new) make room for the new ranking; those in
-- work stay. $1 the scope of a quick night (null: every client).
CREATE UNLOGGED TABLE nightly_w_expire AS
SELECT t.id,
       CASE WHEN m.client_id IS NULL THEN 'trigger.expired.inactive'
            WHEN t.product_id = ANY (m.held) THEN 'trigger.expired.held'
            WHEN pr.family = ANY (p.excluded_families) THEN 'trigger.expired.family-left-out'
            WHEN t.status = 'new' AND t.takeup_model_id IS NULL AND l.learned THEN 'trigger.expired.model-ranks'
            WHEN t.status = 'new' AND t.takeup_model_id IS NOT NULL AND NOT l.learned
                 THEN 'trigger.expired.rule-ranks'
            ELSE 'trigger.expired.not-ideal' END AS reason_key,
       jsonb_build_object('as_of', p.as_of) AS reason_args
FROM cross_sell_trigger t
CROSS JOIN nightly_w_param p
JOIN product pr ON pr.id = t.product_id
JOIN client c ON c.id = t.client_id
CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM bank_model bm
                                   WHERE bm.bank_id = c.bank_id AND bm.purpose = 'takeup'
                                     AND bm.model_id IS NOT NULL) AS learned) l
LEFT JOIN nightly_w_member m ON m.client_id = t.client_id AND m.assigned
LEFT JOIN nightly_w_segment s ON s.segment_id = m.segment_id
LEFT JOIN nightly_w_segment_product sp ON sp.segment_id = s.profile_id AND sp.product_id = t.product_id
                                      AND sp.in_ideal
WHERE t.status IN ('new', 'contacted', 'offered')
  AND ($1::bigint[] IS NULL OR t.client_id = ANY ($1::bigint[]))
  AND (m.client_id IS NULL OR t.product_id = ANY (m.held) OR (sp.segment_id IS NULL AND t.takeup_model_id IS NULL)
       OR pr.family = ANY (p.excluded_families)
       OR (t.status = 'new' AND (t.takeup_model_id IS NULL) = l.learned));

-- name: confirm-list
-- Triggers marked won whose holding the data now shows.
CREATE UNLOGGED TABLE nightly_w_confirm AS
SELECT t.id
FROM cross_sell_trigger t
JOIN nightly_w_member m ON m.client_id = t.client_id AND m.assigned
WHERE t.status = 'won' AND t.won_confirmed_at IS NULL AND t.product_id = ANY (m.held);

-- name: outcome-list
-- The outcome of every trigger whose take-up window (trigger.win_window_months
-- after the month it was raised as of) has passed and that has none yet,
-- shown and held back alike: the day the client took the product within the
-- window, if it did, and the income the product brought it over the window's
-- months. The data decides, not the trigger's status: a held-back trigger has
-- no status to tell.
CREATE UNLOGGED TABLE nightly_w_outcome AS
SELECT t.id, h.taken_on,
       (CASE WHEN h.taken_on IS NULL THEN 0
             ELSE coalesce((SELECT sum(u.income)
                            FROM monthly_fact f, unnest(f.product_ids, f.product_income) AS u(product_id, income)
                            WHERE f.client_id = t.client_id AND f.month > t.raised_as_of
                              AND f.month <= (t.raised_as_of + make_interval(months => p.win_months))::date
                              AND u.product_id = t.product_id), 0) END)::bigint AS income_after
FROM cross_sell_trigger t
CROSS JOIN nightly_w_param p
CROSS JOIN LATERAL (
    SELECT min(h.opened_on) AS taken_on
    FROM holding h
    WHERE h.client_id = t.client_id AND h.product_id = t.product_id
      AND h.opened_on >= (t.raised_as_of + interval '1 month')::date
      AND h.opened_on < (t.raised_as_of + make_interval(months => p.win_months + 1))::date
) h
WHERE t.outcome_as_of IS NULL
  AND t.raised_as_of <= (p.as_of - make_interval(months => p.win_months))::date;

-- name: takeup
-- The trigger backtest per bank, product and segment level (the level of the
-- segment the triggers were learned from): of the triggers with an outcome
-- (this run's and earlier ones), how many were taken; against the base rate
-- of the clients without one: the clients now in segments whose profile holds
-- the product in its ideal set, active and without it at the end of the month
-- trigger.win_window_months before the as-of month, and with no trigger for
-- it raised in the window before that month, how many took it since. (A
-- trigger raised later is left alone: it is raised only while the client
-- still lacks the product, so leaving out its clients would leave mostly
-- those who took it.) The
-- base is counted on a stable sample of at most about 50,000 clients (a hash
-- of their id), which keeps the step short on a big bank. factor, the
-- take-up over the base rate (bounded to 0.2-5), joins the priority once
-- both sides have trigger.takeup_min_cases and the base took it at least once.
CREATE UNLOGGED TABLE nightly_w_takeup AS
WITH judged AS (
    SELECT t.client_id, t.product_id, t.segment_id, coalesce(o.taken_on, t.taken_on) AS taken_on
    FROM cross_sell_trigger t
    LEFT JOIN nightly_w_outcome o ON o.id = t.id
    WHERE t.outcome_as_of IS NOT NULL OR o.id IS NOT NULL
), tr AS (
    SELECT c.bank_id, j.product_id, s.level, count(*) AS triggers, count(j.taken_on) AS taken
    FROM judged j
    JOIN client c ON c.id = j.client_id
    JOIN segment s ON s.id = j.segment_id
    GROUP BY c.bank_id, j.product_id, s.level
), w AS (
    SELECT p.*, (p.as_of - make_interval(months => p.win_months - 1))::date AS base_cutoff,
           least(1.0, 50000.0 / greatest((SELECT count(*) FROM nightly_w_client), 1)) AS sample
    FROM nightly_w_param p
), cand AS (
    SELECT c.client_id, c.bank_id, sp.product_id, s.level
    FROM nightly_w_client c
    CROSS JOIN w
    JOIN nightly_w_member m ON m.client_id = c.client_id AND m.assigned
    JOIN nightly_w_segment own ON own.segment_id = m.segment_id
    JOIN nightly_w_segment s ON s.segment_id = own.profile_id
    JOIN nightly_w_segment_product sp ON sp.segment_id = own.profile_id AND sp.in_ideal
    WHERE c.since < w.base_cutoff
      AND ('x' || substr(md5('relay-takeup-base:' || c.client_id), 1, 8))::bit(32)::bigint / 4294967296.0 < w.sample
), base AS (
    SELECT cand.bank_id, cand.product_id, cand.level, count(*) AS clients, count(*) FILTER (WHERE took.yes) AS taken
    FROM cand
    CROSS JOIN w
    CROSS JOIN LATERAL (
        SELECT EXISTS (SELECT 1 FROM holding h
                       WHERE h.client_id = cand.client_id AND h.product_id = cand.product_id
                         AND h.opened_on >= w.base_cutoff AND h.opened_on < w.cutoff) AS yes) took
    WHERE NOT EXISTS (SELECT 1 FROM holding h
                      WHERE h.client_id = cand.client_id AND h.product_id = cand.product_id
                        AND h.opened_on < w.base_cutoff AND (h.closed_on IS NULL OR h.closed_on >= w.base_cutoff))
      AND NOT EXISTS (SELECT 1 FROM cross_sell_trigger t
                      WHERE t.client_id = cand.client_id AND t.product_id = cand.product_id
                        AND t.raised_as_of > (w.base_cutoff - make_interval(months => w.win_months + 1))::date
                        AND t.raised_as_of < w.base_cutoff)
    GROUP BY cand.bank_id, cand.product_id, cand.level
)
SELECT coalesce(tr.bank_id, base.bank_id)::smallint AS bank_id, coalesce(tr.product_id, base.product_id)::smallint AS product_id,
       coalesce(tr.level, base.level)::smallint AS level, coalesce(tr.triggers, 0) AS triggers,
       coalesce(tr.taken, 0) AS taken, coalesce(base.clients, 0) AS base_clients, coalesce(base.taken, 0) AS base_taken,
       CASE WHEN tr.triggers >= p.takeup_min_cases AND base.clients >= p.takeup_min_cases AND base.taken > 0
            THEN least(5, greatest(0.2, (tr.taken::float8 / tr.triggers) / (base.taken::float8 / base.clients))) END
           AS factor
FROM tr
FULL JOIN base ON base.bank_id = tr.bank_id AND base.product_id = tr.product_id AND base.level = tr.level
CROSS JOIN nightly_w_param p;

-- name: raise-list
-- The candidates to raise: for the clients with fewer open triggers than
-- trigger.max_open_per_client, their candidates not open already and not in
-- their cool-down (closed as won, lost or dismissed within
-- trigger.cooldown_days), highest priority first, as many as the client has
-- room for (the cool-down counted back from the run's time, run_at). The control group (a stable share of clients by a hash of their
-- id) gets its triggers like everyone, hidden. The reason says where the
-- profile was learned and what the priority is made of. $1 the scope of a
-- quick night (null: every client).
CREATE UNLOGGED TABLE nightly_w_raise AS
WITH open AS (
    SELECT t.client_id, count(*) AS n
    FROM cross_sell_trigger t
    WHERE t.status IN ('new', 'contacted', 'offered')
      AND ($1::bigint[] IS NULL OR t.client_id = ANY ($1::bigint[]))
    GROUP BY t.client_id
), takeup_bank AS (
    -- the banks whose offers a take-up model ranks (nightly_w_offer)
    SELECT bm.bank_id FROM bank_model bm WHERE bm.purpose = 'takeup' AND bm.model_id IS NOT NULL
), room AS (
    SELECT m.client_id, m.segment_id AS own_id, s.profile_id AS segment_id, s.best AS own_best, m.held,
           p.max_open - coalesce(o.n, 0) + coalesce(e.n, 0) AS free,
           c.bank_id IN (SELECT bank_id FROM takeup_bank) AS learned
    FROM nightly_w_member m
    JOIN nightly_w_segment s ON s.segment_id = m.segment_id
    JOIN nightly_w_client c ON c.client_id = m.client_id
    CROSS JOIN nightly_w_param p
    LEFT JOIN open o ON o.client_id = m.client_id
    -- the open triggers that expire in this run make room
    LEFT JOIN (SELECT t.client_id, count(*) AS n
               FROM nightly_w_expire x JOIN cross_sell_trigger t ON t.id = x.id
               GROUP BY t.client_id) e ON e.client_id = m.client_id
    WHERE m.assigned AND s.profile_id IS NOT NULL AND p.max_open - coalesce(o.n, 0) + coalesce(e.n, 0) > 0
      AND ($1::bigint[] IS NULL OR m.client_id = ANY ($1::bigint[]))
), candidate AS (
    SELECT r.client_id, r.own_id, r.own_best, r.segment_id, r.free, sp.product_id, sp.adoption,
           s.best AS best_clients, sp.best_holders, sp.value AS product_value, sp.value * 12 AS expected_value,
           pr.income_kind, w.income_weight, coalesce(tu.factor, 1) AS takeup_factor, tu.triggers AS tu_triggers,
           tu.taken AS tu_taken, tu.base_clients AS tu_base, tu.base_taken AS tu_base_taken,
           round(sp.value * 12 * sp.adoption * w.income_weight * coalesce(tu.factor, 1))::bigint AS priority,
           NULL::float8 AS probability, NULL::bigint AS takeup_model_id, NULL::jsonb AS evidence
    FROM room r
    JOIN nightly_w_segment_product sp ON sp.segment_id = r.segment_id AND sp.in_ideal
    JOIN nightly_w_segment s ON s.segment_id = r.segment_id
    JOIN product pr ON pr.id = sp.product_id
    CROSS JOIN nightly_w_param p
    CROSS JOIN LATERAL (SELECT CASE WHEN pr.income_kind = 'interest' THEN p.interest_weight ELSE 1 END::float8
                               AS income_weight) w
    LEFT JOIN nightly_w_takeup tu ON tu.bank_id = s.bank_id AND tu.product_id = sp.product_id
                                 AND tu.level = s.level AND tu.factor IS NOT NULL
    WHERE NOT r.learned
      AND sp.product_id <> ALL (r.held)
      AND pr.family <> ALL (p.excluded_families)
    UNION ALL
    -- where a take-up model ranks the offers: every product the client
    -- lacks that the model scored among its best, priority = its chance x
    -- the product's value in the segment (the bank's when the segment has
    -- none) x 12 x the weight of its kind of income
    SELECT r.client_id, r.own_id, r.own_best, r.segment_id, r.free, o.product_id, coalesce(sp.adoption, 0),
           s.best, coalesce(sp.best_holders, 0), v.value, v.value * 12,
           pr.income_kind, w.income_weight, 1::float8, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
           round(v.value * 12 * o.probability * w.income_weight)::bigint,
           o.probability, o.model_id, o.evidence
    FROM room r
    JOIN nightly_w_offer o ON o.client_id = r.client_id
    JOIN nightly_w_segment s ON s.segment_id = r.segment_id
    JOIN product pr ON pr.id = o.product_id
    CROSS JOIN nightly_w_param p
    CROSS JOIN LATERAL (SELECT CASE WHEN pr.income_kind = 'interest' THEN p.interest_weight ELSE 1 END::float8
                               AS income_weight) w
    LEFT JOIN nightly_w_segment_product sp ON sp.segment_id = r.segment_id AND sp.product_id = o.product_id
    CROSS JOIN LATERAL (SELECT coalesce(nullif(sp.value, 0), o.product_value) AS value) v
    WHERE r.learned
      AND o.product_id <> ALL (r.held)
      AND pr.family <> ALL (p.excluded_families)
), ranked AS (
    -- neither open already nor in its cool-down
    SELECT c.*,
           row_number() OVER (PARTITION BY c.client_id ORDER BY c.priority DESC, c.product_id) AS rank
    FROM candidate c
    CROSS JOIN nightly_w_param p
    WHERE NOT EXISTS (
          SELECT 1 FROM cross_sell_trigger t
          WHERE t.client_id = c.client_id AND t.product_id = c.product_id
            AND (t.status IN ('new', 'contacted', 'offered')
                 OR (t.status IN ('won', 'lost', 'dismissed')
                     AND t.closed_at > p.run_at - make_interval(days => p.cooldown_days))))
)
SELECT x.client_id, x.product_id, x.segment_id,
       ('x' || substr(md5('relay-control-group:' || x.client_id), 1, 8))::bit(32)::bigint / 4294967296.0
           < p.control_share AS hidden,
       x.expected_value, x.priority, x.adoption, x.product_value, x.best_clients, x.best_holders,
       -- why, as a message key and its figures (internal/reasons writes the
       -- sentence when it is shown): no text is formatted per row here
       CASE WHEN x.probability IS NOT NULL THEN 'trigger.takeup-model' ELSE 'trigger.ideal-set' END AS reason_key,
       CASE WHEN x.probability IS NOT NULL
            THEN jsonb_build_object(
                'product', pr.name, 'probability', x.probability, 'win_months', p.win_months,
                'model_id', x.takeup_model_id, 'evidence', x.evidence, 'segment', sn.label,
                'adoption', x.adoption, 'best_holders', x.best_holders, 'best_clients', x.best_clients,
                'product_value', x.product_value, 'expected_value', x.expected_value, 'priority', x.priority,
                'income_weight', x.income_weight)
            ELSE jsonb_build_object(
                'product', pr.name, 'segment', sn.label, 'adoption', x.adoption, 'best_holders', x.best_holders,
                'best_clients', x.best_clients,
                'own_segment', CASE WHEN x.own_id <> x.segment_id THEN own.label END, 'own_best', x.own_best,
                'product_value', x.product_value, 'profit_months', p.profit_months,
                'expected_value', x.expected_value, 'priority', x.priority, 'income_weight', x.income_weight,
                'takeup_factor', x.takeup_factor, 'win_months', p.win_months, 'takeup_triggers', x.tu_triggers,
                'takeup_taken', x.tu_taken, 'base_clients', x.tu_base, 'base_taken', x.tu_base_taken) END
           AS reason_args,
       x.income_weight, x.takeup_factor, x.probability, x.takeup_model_id
FROM ranked x
CROSS JOIN LATERAL (SELECT np.*, ((date_part('year', age(np.cutoff, np.profit_from)) * 12
                                   + date_part('month', age(np.cutoff, np.profit_from))))::integer AS profit_months
                    FROM nightly_w_param np) p
JOIN nightly_w_client c ON c.client_id = x.client_id
JOIN product pr ON pr.id = x.product_id
JOIN segment_named sn ON sn.id = x.segment_id
JOIN segment_named own ON own.id = x.own_id
WHERE x.rank <= x.free
  -- an empty scope is false before anything is read (a one-time filter)
  AND ($1::bigint[] IS NULL OR cardinality($1::bigint[]) > 0);

-- name: outcome
-- Writes the outcomes of the triggers whose window has passed.
UPDATE cross_sell_trigger t
SET outcome_as_of = p.as_of, taken_on = o.taken_on, income_after = o.income_after
FROM nightly_w_outcome o, nightly_w_param p
WHERE t.id = o.id AND t.outcome_as_of IS NULL;

-- name: confirm
UPDATE cross_sell_trigger t
SET won_confirmed_at = now(), won_confirmed_as_of = p.as_of
FROM nightly_w_confirm x, nightly_w_param p
WHERE t.id = x.id AND t.status = 'won' AND t.won_confirmed_at IS NULL;

-- name: expire
UPDATE cross_sell_trigger t
SET status = 'expired', status_reason = '', status_key = x.reason_key, status_args = x.reason_args,
    status_changed_at = now(), status_changed_by = NULL,
    closed_at = now()
FROM nightly_w_expire x
WHERE t.id = x.id AND t.status IN ('new', 'contacted', 'offered');

-- name: raise-unchecked
-- A long raise list (a first night: 1.7 million triggers at 1,000,000
-- clients) is inserted without checking its foreign keys row by row (35 s
-- there, a key lookup and a row lock on client per trigger); raise-check
-- puts them back in the same transaction, which checks every row of the
-- table against client and product in one join, so that the run commits
-- with the keys whole or not at all. Dropping them locks client and product
-- (ACCESS EXCLUSIVE) until the run commits, as the switch locks the
-- published tables; a short raise list (an ordinary night) keeps the
-- per-row checks and takes no such lock.
ALTER TABLE cross_sell_trigger
    DROP CONSTRAINT cross_sell_trigger_client_id_fkey,
    DROP CONSTRAINT cross_sell_trigger_product_id_fkey;

-- name: raise-check
ALTER TABLE cross_sell_trigger
    ADD CONSTRAINT cross_sell_trigger_client_id_fkey FOREIGN KEY (client_id) REFERENCES client ON DELETE CASCADE,
    ADD CONSTRAINT cross_sell_trigger_product_id_fkey FOREIGN KEY (product_id) REFERENCES product;

-- name: raise
-- A manager can only close triggers meanwhile, never open one, so the raise
-- list cannot overfill a client; the unique index on open triggers guards the
-- rest.
INSERT INTO cross_sell_trigger (client_id, product_id, segment_id, hidden, expected_value, priority, adoption,
                                product_value, best_clients, best_holders, reason_key, reason_args, raised_as_of,
                                run_id, income_weight, takeup_factor, probability, takeup_model_id)
SELECT x.client_id, x.product_id, x.segment_id, x.hidden, x.expected_value, x.priority, x.adoption,
       x.product_value, x.best_clients, x.best_holders, x.reason_key, x.reason_args, p.as_of, p.run_id,
       x.income_weight, x.takeup_factor, x.probability, x.takeup_model_id
FROM nightly_w_raise x
CROSS JOIN nightly_w_param p
ORDER BY x.client_id, x.priority DESC
ON CONFLICT (client_id, product_id) WHERE status IN ('new', 'contacted', 'offered') DO NOTHING;
