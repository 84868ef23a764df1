-- The API's open triggers by keyset cursor (issue 14, item 3).
--
-- GET /api/v1/triggers pages by the last trigger's (priority, id) rather
-- than by page number (triggers.sql: list-open-after). This index holds the
-- open triggers in that order, so that a page after a cursor starts where the
-- cursor is instead of reading and skipping every trigger before it. It is
-- partial, like cross_sell_trigger_open_idx: a closed trigger leaves it.
-- priority never changes after the raise, and status is in other indexes
-- already, so no update that was HOT stops being so; the nightly run's raise
-- maintains one more index.

-- +goose Up
CREATE INDEX cross_sell_trigger_open_priority_idx ON cross_sell_trigger (priority DESC, id)
    WHERE status IN ('new', 'contacted', 'offered');

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
