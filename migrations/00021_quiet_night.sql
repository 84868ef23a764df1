-- A quiet night (issue 15, item 1): a night with no new feed, settings, month
-- or move in Relay redoes only what depends on the date (cool-downs, expiry,
-- contact days) and keeps the rest of the previous run.
--
-- nightly_input_change is the log of what changed among the run's inputs
-- since the last run started: a statement-level trigger on every table the
-- run reads (and does not write itself) adds one row per statement that
-- writes it, naming the input. Rows are only ever inserted by writers, so a
-- writer takes no lock a reader or another writer waits on; the run deletes
-- the rows it sees when it starts (in one snapshot), and those rows are what
-- changed. A change that commits after that stays for the next run. The
-- run's own writes (triggers raised and expired, segments registered) are not
-- logged: its connection sets relay.nightly, and the statements that read
-- what it wrote are among those a quick run redoes. docs/nightly.md.

-- +goose Up
CREATE TABLE nightly_input_change (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    input      text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- +goose StatementBegin
CREATE FUNCTION nightly_input_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('relay.nightly', true), '') <> 'on' THEN
        INSERT INTO nightly_input_change (input) VALUES (TG_ARGV[0]);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['banking_group', 'bank', 'region', 'industry', 'product', 'client', 'holding',
                             'monthly_fact', 'contact', 'setting', 'cross_sell_trigger', 'bank_model', 'fitted_model']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION nightly_input_changed(%L)',
                       t || '_nightly_input', t, t);
    END LOOP;
END $$;
-- +goose StatementEnd

-- Which kind of run ran and why ("quick: nothing changed since run N", "full:
-- new facts, settings"), and the inputs stamp it was built on: the as-of
-- month, the settings it read, the months of facts, the run's own code.
ALTER TABLE nightly_run
    ADD COLUMN kind       text CHECK (kind IN ('full', 'quick')),
    ADD COLUMN why        text NOT NULL DEFAULT '',
    ADD COLUMN inputs     jsonb,
    ADD COLUMN changes    text[] NOT NULL DEFAULT '{}';

-- The run whose date-independent working tables are kept for a quick run
-- (one row, or none: emptied with them when a run fails; unlogged, like
-- them, so a crash of the server empties both).
CREATE UNLOGGED TABLE nightly_w_kept (run_id bigint NOT NULL);

-- The run's time, from which cool-downs are counted (it was the statement's
-- now()), is the parameter row's run_at (nightly_param, migration 00020): a
-- test can play the nights of later days.

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
