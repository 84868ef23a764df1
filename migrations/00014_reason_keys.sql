-- Reasons as data (issue 15 item 2, ahead of issue 14's languages).
--
-- The nightly run stores why it raised or expired a trigger as a message key
-- and its figures (reason_key + reason_args, status_key + status_args), not
-- as an English sentence; internal/reasons writes the sentence when a page or
-- an export shows it, in one place. Building a sentence per row was most of
-- the time of raising 1.7 million triggers on a first night.
--
-- The figures are one jsonb object rather than typed columns: the two kinds
-- of raise reason (the ideal-set rule, a take-up model) and the six kinds of
-- expiry need different figures, a new kind of reason adds a key and a
-- message rather than a column, and every reader (card, worklist, exports,
-- the API) renders from key + figures + the client's currency alone. The
-- names in them (product, segments) are those the run saw, as the sentences
-- were.
--
-- Rows written before this migration keep their sentence in reason and
-- status_reason (with no key), which the renderer shows as they are.
-- status_reason stays the manager's own words when a manager moves a trigger.

-- +goose Up
ALTER TABLE cross_sell_trigger
    ALTER COLUMN reason SET DEFAULT '',
    ADD COLUMN reason_key  text,
    ADD COLUMN reason_args jsonb,
    ADD COLUMN status_key  text,
    ADD COLUMN status_args jsonb,
    DROP CONSTRAINT cross_sell_trigger_check1,
    ADD CONSTRAINT cross_sell_trigger_closed_why CHECK (
        status NOT IN ('lost', 'dismissed', 'expired') OR status_reason <> '' OR status_key IS NOT NULL),
    ADD CONSTRAINT cross_sell_trigger_why CHECK (reason <> '' OR reason_key IS NOT NULL);

ALTER TABLE nightly_w_raise
    DROP COLUMN reason,
    ADD COLUMN reason_key  text,
    ADD COLUMN reason_args jsonb;
ALTER TABLE nightly_w_expire
    DROP COLUMN reason,
    ADD COLUMN reason_key  text,
    ADD COLUMN reason_args jsonb;

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
