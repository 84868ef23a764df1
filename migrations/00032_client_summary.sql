-- A per-client summary of the facts the nightly run reads, kept by the import
-- (issue 15, item 1; internal/summary, docs/nightly.md).
--
-- The segments step's pass over 12 months of facts (7.9 M rows at 1,000,000
-- clients) recomputed every night what had not changed: a fact never changes
-- once its month is imported. client_summary holds, one row per client,
-- exactly what nightly_w_client takes from the facts (the window sums and
-- counts, the income of each of the last 13 months and the transactions of
-- the last 6, the 12-month sums and the first- and last-3-month sums), with
-- the as-of month and the windows it was built with: a row is current for a
-- run only when they are the run's. The import rewrites the rows of the
-- clients of the facts it loads in the same transaction; the run rewrites
-- the rows it finds not current from the facts and reads the rest.
--
-- The summary is trusted only while client_summary_state has its row, and
-- only for the partitions of monthly_fact it names (a month attached or
-- reloaded by anything but the import changes them). A statement that writes
-- monthly_fact other than the import's (the demo loader, a hand-made fix)
-- deletes that row, so that the next run rebuilds the whole summary from the
-- facts: the summary is never stale silently. The import sets
-- relay.summary_kept for its own statements, which keep the summary.

-- +goose Up
CREATE TABLE client_summary (
    client_id       bigint PRIMARY KEY,
    -- what it is current for: the run's as-of month and windows
    -- (nightly_w_param's as_of, scan_from, profit_from, recent_from,
    -- base_from, input_from)
    as_of           date NOT NULL,
    scan_from       date NOT NULL,
    profit_from     date NOT NULL,
    recent_from     date NOT NULL,
    base_from       date NOT NULL,
    input_from      date NOT NULL,
    -- the aggregates, of the types the pass over the facts gives them
    profit_months   bigint NOT NULL,
    profit_income   numeric,
    profit_tx       bigint,
    recent_months   bigint NOT NULL,
    base_months     bigint NOT NULL,
    turnover_recent numeric,
    turnover_base   numeric,
    balance_recent  numeric,
    balance_base    numeric,
    tx_recent       bigint,
    tx_base         bigint,
    income_recent   numeric,
    income_base     numeric,
    income_0 bigint, income_1 bigint, income_2 bigint, income_3 bigint, income_4 bigint, income_5 bigint,
    income_6 bigint, income_7 bigint, income_8 bigint, income_9 bigint, income_10 bigint, income_11 bigint,
    income_12 bigint,
    tx_0 integer, tx_1 integer, tx_2 integer, tx_3 integer, tx_4 integer, tx_5 integer,
    tx_6 integer, tx_7 integer, tx_8 integer, tx_9 integer, tx_10 integer, tx_11 integer,
    m12             bigint NOT NULL,
    turnover_sum12  numeric,
    balance_sum12   numeric,
    tx_sum12        numeric,
    income_sum12    numeric,
    m_first3        bigint NOT NULL,
    turnover_first3 numeric,
    balance_first3  numeric,
    tx_first3       numeric,
    income_first3   numeric,
    m_last3         bigint NOT NULL,
    turnover_last3  numeric,
    balance_last3   numeric,
    tx_last3        numeric,
    income_last3    numeric,
    idle_rows       bigint NOT NULL
);

-- One row while the summary can be trusted: the partitions of monthly_fact
-- (their oids, sorted) it was kept for.
CREATE TABLE client_summary_state (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    partitions oid[] NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION client_summary_unkept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('relay.summary_kept', true), '') <> 'on' THEN
        -- the lock the import and the run's summary take: a run rebuilding
        -- the summary either sees this write or loses its state row after it
        PERFORM pg_advisory_xact_lock(hashtext('relay.imports'));
        DELETE FROM client_summary_state;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER monthly_fact_summary AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON monthly_fact
    FOR EACH STATEMENT EXECUTE FUNCTION client_summary_unkept();

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
