-- The quiet night's triggers step (issue 15, item 1): what of the triggers
-- moves with the run's day alone is the cool-downs (counted back from the
-- run's time). A quick night (nothing changed since the last run but the
-- date) follows a run that raised every candidate it had room for and wrote
-- every expiry, confirmation and outcome its as-of month called for, so the
-- only clients that can have a new trigger are those whose cool-down ended
-- since that run's time (and, when their take-up offers are scored again,
-- those it raised triggers for): the raise list is redone for them alone
-- (docs/nightly.md).
--
-- nightly_w_kept.run_at is the time of the run whose working tables are
-- kept (its parameter row's run_at), where the cool-downs that end tonight
-- are counted from. A kept row without it (kept before this migration) is
-- not used: the runs are full until a run keeps its tables again.
--
-- cross_sell_trigger_cooldown_idx finds the triggers whose cool-down ends
-- between two runs' times without reading the 3.9 million triggers of a
-- 1,000,000-client bank. Its columns are written only with status, which
-- other indexes already hold, so no update that was HOT stops being so.

-- +goose Up
ALTER TABLE nightly_w_kept ADD COLUMN run_at timestamptz;
DELETE FROM nightly_w_kept;
CREATE INDEX cross_sell_trigger_cooldown_idx ON cross_sell_trigger (closed_at)
    WHERE status IN ('won', 'lost', 'dismissed');

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
