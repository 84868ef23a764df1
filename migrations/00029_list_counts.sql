-- The churn list of the risk team at a million clients (issue 15, item 4).
--
-- Every page of the list counts the warnings that match its filters. The
-- count read the scope index of 00015 whole (631 pages for the 44,779
-- warnings of the demo group), whose entries also carry the sort columns and
-- the client's name. client_warning_group_count_idx carries the group's
-- warnings with only what the filters and the row policy read, keyed by bank
-- and level, so the count is an index-only scan of less than half the pages
-- (273), and of a bank's high warnings only those (51 pages for 7,831).
--
-- Sorted by value at risk (CLV, highest first), a page read the same scope
-- index whole and sorted its matches (top-N). client_warning_group_clv_idx
-- keeps the group's warnings in that order, with what the filters and the
-- row policy read, so a page is read in order with a limit (25 matches of a
-- bank's high warnings: 65 index pages instead of 631).
--
-- The nightly run builds the same indexes on the table it switches in
-- (internal/nightly/publish.sql).

-- +goose Up
CREATE INDEX client_warning_group_count_idx ON client_warning (group_id, bank_id, level)
    INCLUDE (region_id, branch_id, industry_id, manager_id, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired);
CREATE INDEX client_warning_group_clv_idx ON client_warning (group_id, clv DESC NULLS LAST, probability DESC, client_id)
    INCLUDE (bank_id, region_id, branch_id, industry_id, manager_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired);

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
