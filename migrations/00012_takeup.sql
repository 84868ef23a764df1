-- Offers learned from history (issue 16).
--
-- A take-up model gives each client's chance of taking each product it does
-- not hold within trigger.win_window_months; fitted on the bank's replayed
-- history like the churn model (fitted_model, purpose 'takeup': one additive
-- model per product, carried in one body), and used for a bank only where it
-- beats the ideal-set rule out of time there (bank_model, purpose 'takeup').
-- Where it is in use, the run ranks every product a client lacks by
-- probability x expected value, and a trigger records the probability and
-- the model that gave it.

-- +goose Up
ALTER TABLE fitted_model DROP CONSTRAINT fitted_model_purpose_check,
    ADD CONSTRAINT fitted_model_purpose_check CHECK (purpose IN ('churn', 'takeup'));
ALTER TABLE bank_model DROP CONSTRAINT bank_model_purpose_check,
    ADD CONSTRAINT bank_model_purpose_check CHECK (purpose IN ('churn', 'takeup'));

ALTER TABLE cross_sell_trigger
    ADD COLUMN probability     float8 CHECK (probability >= 0 AND probability <= 1),
    ADD COLUMN takeup_model_id bigint;
ALTER TABLE nightly_w_raise
    ADD COLUMN probability     float8,
    ADD COLUMN takeup_model_id bigint;

-- nightly_w_offer: the run's scored offers where a take-up model is in use,
-- the best few per client by priority, written by COPY from Go.
CREATE UNLOGGED TABLE nightly_w_offer (
    client_id      bigint NOT NULL,
    product_id     smallint NOT NULL,
    model_id       bigint NOT NULL,
    probability    float8 NOT NULL,
    product_value  bigint NOT NULL,
    expected_value bigint NOT NULL,
    priority       bigint NOT NULL,
    evidence       text NOT NULL
);

INSERT INTO setting (key, value, default_value, kind, min_value, max_value, area, label, description) VALUES
('takeup.months', '12', '12', 'int', 3, 36, 'triggers', 'Take-up model: months replayed',
 'relay model fit --purpose takeup replays this many of the latest months whose take-up window is known.'),
('takeup.test_months', '3', '3', 'int', 1, 12, 'triggers', 'Take-up model: months held out',
 'The latest replayed months are the test: the model is judged there against the ideal-set rule, never fitted on them.'),
('takeup.min_takers', '30', '30', 'int', 10, 100000, 'triggers', 'Take-up model: takers needed',
 'A product whose clients took it fewer times than this in the months learned from keeps its popularity as its chance.'),
('takeup.sample_rows', '150000', '150000', 'int', 10000, 5000000, 'triggers', 'Take-up model: client-months sampled',
 'A take-up fit reads a stable random sample of about this many client-months (each with every product it lacks).');

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
