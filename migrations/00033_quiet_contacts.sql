-- The quiet night's warnings by what the date changes (issue 15, item 1): a
-- quick night (nothing changed since the last run but the date) counted every
-- client's contacts again in one pass over the contacts, and sorted every
-- client twice for its activity cell. Neither needs it (docs/nightly.md):
--
-- * The contacts' table (nightly_w_contact) is kept with the other kept
--   tables. Between two runs with nothing logged, a client's contacts move
--   only where a contact crosses one of the two days they are counted by:
--   the run's day (contacts before it are counted) and the same day a year
--   before (the counts of the last 12 months). A quick night counts again
--   only the clients with a contact between the kept run's day and its own,
--   or between the same days a year before, found through
--   contact_happened_idx, and moves every other client's days since the last
--   contact by the days between the runs. nightly_w_kept.contacts_to is the
--   kept run's day (its parameter row's contacts_to).
-- * The activity cell (R, F, M and the cell: nightly_w_rfm) reads the kept
--   signals only: a quick night keeps it.
--
-- The working tables are built by the run itself (CREATE TABLE AS); this
-- definition is for the statements' check at start. The kept tables of the
-- run before do not hold these: they are not kept any more, so the next run is
-- full.

-- +goose Up
ALTER TABLE nightly_w_kept ADD COLUMN contacts_to date;
DELETE FROM nightly_w_kept;
CREATE UNLOGGED TABLE nightly_w_rfm (
    client_id bigint, rfm_r smallint, rfm_f smallint, rfm_m smallint, activity text
);
CREATE INDEX contact_happened_idx ON contact (happened_at);

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
