-- The branch head's pipeline at a million clients (issue 15, item 4).
--
-- The pipeline counts a branch's clients per manager and their triggers by
-- status, age and confirmed win. It read every client row of the branch
-- three times (about 2,300 heap pages scattered over the table for 2,500
-- clients) and every trigger row of them (8,000 pages). Both are now read
-- from indexes alone:
--
-- - client_branch_manager_idx: a branch's clients by manager, with whether
--   they have left and the columns of the row-level security policy
--   (manager_id, branch_id, group_id), so that relay_app's scan stays
--   index-only;
-- - cross_sell_trigger_client_idx, the triggers of a client (the card's
--   order), carries the columns the pipeline counts. It replaces the index
--   of the same key, so that the nightly run's inserts maintain no more
--   indexes than before; every column added is one its updates already
--   change through another index (status, status_changed_at,
--   won_confirmed_at) or one no update changes (hidden, expected_value), so
--   no update that was HOT stops being so.

-- +goose Up
CREATE INDEX client_branch_manager_idx ON client (branch_id, manager_id) INCLUDE (id, left_on, group_id);
DROP INDEX cross_sell_trigger_client_idx;
CREATE INDEX cross_sell_trigger_client_idx ON cross_sell_trigger (client_id, raised_at DESC)
    INCLUDE (hidden, status, status_changed_at, won_confirmed_at, expected_value);

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
