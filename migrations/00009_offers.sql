-- Offers that pay: ideal profiles that always exist (learned from a coarser
-- segment when a segment has too few best clients), product value over a
-- year, priority that weighs fee income above interest and can leave a
-- product family out, the next best action on the worklist, the outcome of
-- every trigger once its take-up window has passed, and the effectiveness of
-- triggers (shown against held back) that the nightly run publishes.

-- +goose Up

-- A setting may list product families.
ALTER TABLE setting DROP CONSTRAINT setting_kind_check;
ALTER TABLE setting ADD CONSTRAINT setting_kind_check CHECK (kind IN ('int', 'ratio', 'cron', 'text', 'path', 'families'));

-- Settings, each shown on the page that uses it.
INSERT INTO setting (key, value, default_value, kind, min_value, max_value, area, label, description) VALUES
('profile.min_best_clients', '5', '5', 'int', 1, 1000, 'segments', 'Ideal profile: minimum best clients',
 'A segment with fewer best clients than this takes its ideal profile from the next coarser segment that has enough; where none has, the card says that no ideal exists yet.'),
('profile.min_best_holders', '3', '3', 'int', 1, 1000, 'segments', 'Ideal set: minimum best holders',
 'A product is in the ideal set only when at least this many best clients hold it (as well as the minimum adoption).'),
('trigger.interest_weight', '0.5', '0.5', 'ratio', 0, 1, 'triggers', 'Priority: weight of interest income',
 'A trigger''s priority counts a product''s interest income at this weight and its fee income in full, so that fee income comes first (1: no preference).'),
('trigger.excluded_families', '', '', 'families', NULL, NULL, 'triggers', 'Product families left out of triggers',
 'Product families (comma-separated, e.g. lending, leasing_factoring) the nightly run raises no trigger for; their open triggers expire.'),
('trigger.watch_factor', '0.5', '0.5', 'ratio', 0, 1, 'triggers', 'Priority under a watch warning',
 'A client with a watch-level churn warning has the priority of its offers multiplied by this; under a high warning its offers wait.'),
('trigger.takeup_min_cases', '30', '30', 'int', 1, 100000, 'triggers', 'Take-up factor: minimum cases',
 'The take-up learned from past triggers of a product and segment level joins the priority only when at least this many triggers and this many clients without one have had their take-up window.'),
('trigger.effect_min_cases', '20', '20', 'int', 1, 100000, 'triggers', 'Effectiveness: minimum cases',
 'The effectiveness page gives an uplift and its interval only when both the shown and the held-back triggers number at least this many.'),
('worklist.daily_actions', '12', '12', 'int', 1, 200, 'worklist', 'Actions a day',
 'The worklist opens on this many actions, retention first and then offers by priority; the rest are a click away.');

-- What a trigger's priority is made of, and its outcome: whether the client
-- took the product within trigger.win_window_months of the month it was
-- raised as of, and the income the product brought in those months. The run
-- writes the outcome once the window has passed (outcome_as_of), for shown
-- and held-back triggers alike.
ALTER TABLE cross_sell_trigger
    ADD COLUMN income_weight  float8 NOT NULL DEFAULT 1,  -- 1 for fee income, trigger.interest_weight for interest
    ADD COLUMN takeup_factor  float8 NOT NULL DEFAULT 1,  -- take-up of past triggers / the segment's base rate
    ADD COLUMN outcome_as_of  date,                       -- the as-of month of the run that judged it
    ADD COLUMN taken_on       date,                       -- the product's holding opened within the window
    ADD COLUMN income_after   bigint;                     -- the product's income over the window's months
CREATE INDEX cross_sell_trigger_outcome_idx ON cross_sell_trigger (raised_as_of) WHERE outcome_as_of IS NULL;

-- Published results gain, at their end (the run's statements write them in
-- this order): the segment whose ideal profile applies (itself, a coarser
-- one, or none yet).
ALTER TABLE segment_profile ADD COLUMN profile_segment_id bigint;
ALTER TABLE client_score ADD COLUMN profile_segment_id bigint;
ALTER TABLE client_score ALTER COLUMN ideal_income DROP NOT NULL,
                         ALTER COLUMN gap DROP NOT NULL,
                         ALTER COLUMN score DROP NOT NULL;

-- trigger_effect: per bank, product, segment level, month raised and group
-- (shown or held back), the triggers whose take-up window has passed, how
-- many were taken, the income that followed and the value expected. Rebuilt
-- by every run; the effectiveness page sums it over the months asked for.
CREATE TABLE trigger_effect (
    bank_id        smallint NOT NULL,
    product_id     smallint NOT NULL,
    level          smallint NOT NULL,
    raised_as_of   date NOT NULL,
    hidden         boolean NOT NULL,
    as_of          date NOT NULL,
    triggers       integer NOT NULL,
    taken          integer NOT NULL,
    income_after   bigint NOT NULL,   -- over the window's months, minor units
    expected_value bigint NOT NULL,   -- sum of the triggers' expected values (a year)
    taken_expected bigint NOT NULL,   -- of the taken ones
    PRIMARY KEY (bank_id, product_id, level, raised_as_of, hidden)
);

-- trigger_takeup: per bank, product and segment level, the take-up of past
-- triggers (shown or held back) against the clients of the same segments that
-- lacked the product and had no trigger for it, over the same windows: the
-- trigger backtest, and the factor it gives the priority. Rebuilt by every run.
CREATE TABLE trigger_takeup (
    bank_id      smallint NOT NULL,
    product_id   smallint NOT NULL,
    level        smallint NOT NULL,
    as_of        date NOT NULL,
    triggers     integer NOT NULL,
    taken        integer NOT NULL,
    base_clients integer NOT NULL,
    base_taken   integer NOT NULL,
    factor       float8,            -- null until both sides have trigger.takeup_min_cases
    PRIMARY KEY (bank_id, product_id, level)
);

-- Working tables of the run (see 00002): the new columns and tables, so that
-- the run's statements can be prepared at start.
ALTER TABLE nightly_w_param
    ADD COLUMN min_best_clients integer, ADD COLUMN min_best_holders integer, ADD COLUMN interest_weight float8,
    ADD COLUMN excluded_families text[], ADD COLUMN win_months integer, ADD COLUMN takeup_min_cases integer;
ALTER TABLE nightly_w_key
    ADD COLUMN n4 numeric, ADD COLUMN use1 boolean, ADD COLUMN use2 boolean, ADD COLUMN use3 boolean,
    ADD COLUMN use4 boolean;
ALTER TABLE nightly_w_segment ADD COLUMN profile_id bigint;
ALTER TABLE nightly_w_raise
    ADD COLUMN income_weight float8, ADD COLUMN takeup_factor float8;
CREATE UNLOGGED TABLE nightly_w_product_income (
    client_id bigint, product_id smallint, opened_on date, income numeric
);
CREATE UNLOGGED TABLE nightly_w_outcome (
    id bigint, taken_on date, income_after bigint
);
CREATE UNLOGGED TABLE nightly_w_takeup (
    bank_id smallint, product_id smallint, level smallint, triggers bigint, taken bigint, base_clients bigint,
    base_taken bigint, factor float8
);

-- +goose Down
SELECT 1;
