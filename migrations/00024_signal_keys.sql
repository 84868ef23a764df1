-- Signals as data (issue 14, item 1: languages).
--
-- A churn warning kept the figures of each of its seven signals as an English
-- sentence (turnover_figures ... contact_figures). It now keeps them as data,
-- as the triggers' reasons do since migration 00014: a jsonb object holding
-- the message key ("key": "signal.turnover", "signal.turnover.unknown", ...)
-- and its named figures (amounts in minor units, falls as fractions, days,
-- months, dates, and the names the run saw). internal/reasons writes the
-- sentence in the reader's language when a page or an export shows it.
--
-- Rows written before this migration keep their sentence as {"text": ...}
-- (no key), which the renderer shows as it is; the next nightly run rebuilds
-- the table with keys.

-- +goose Up
ALTER TABLE client_warning
    ALTER COLUMN turnover_figures TYPE jsonb USING jsonb_build_object('text', turnover_figures),
    ALTER COLUMN balance_figures TYPE jsonb USING jsonb_build_object('text', balance_figures),
    ALTER COLUMN tx_figures TYPE jsonb USING jsonb_build_object('text', tx_figures),
    ALTER COLUMN closed_figures TYPE jsonb USING jsonb_build_object('text', closed_figures),
    ALTER COLUMN income_figures TYPE jsonb USING jsonb_build_object('text', income_figures),
    ALTER COLUMN lifetime_figures TYPE jsonb USING jsonb_build_object('text', lifetime_figures),
    ALTER COLUMN contact_figures TYPE jsonb USING jsonb_build_object('text', contact_figures);

-- +goose Down
ALTER TABLE client_warning
    ALTER COLUMN turnover_figures TYPE text USING coalesce(turnover_figures->>'text', ''),
    ALTER COLUMN balance_figures TYPE text USING coalesce(balance_figures->>'text', ''),
    ALTER COLUMN tx_figures TYPE text USING coalesce(tx_figures->>'text', ''),
    ALTER COLUMN closed_figures TYPE text USING coalesce(closed_figures->>'text', ''),
    ALTER COLUMN income_figures TYPE text USING coalesce(income_figures->>'text', ''),
    ALTER COLUMN lifetime_figures TYPE text USING coalesce(lifetime_figures->>'text', ''),
    ALTER COLUMN contact_figures TYPE text USING coalesce(contact_figures->>'text', '');
