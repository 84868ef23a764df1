-- Pages at a million clients (issue 15, item 4).
--
-- The churn list reads a page in the order of the viewer's scope index (the
-- group for the risk team, the branch for its head, the manager for a
-- manager) and counts the matching warnings on the same index: each index
-- carries, besides its key, every column the list filters or sorts by and
-- the columns of the row-level security policy, so that both are index-only
-- scans rather than reads of the wide warning rows (figures and sentences,
-- about 1 kB each). The nightly run builds the same indexes on the table it
-- switches in (internal/nightly/publish.sql).
--
-- The client list's deep pages of a whole group or branch (page 300 of the
-- risk team's 683,000 active clients) skip their offset on an index of the
-- active clients alone, in name order, that carries the policy's columns.

-- +goose Up
DROP INDEX client_warning_group_idx;
DROP INDEX client_warning_branch_idx;
DROP INDEX client_warning_manager_idx;
CREATE INDEX client_warning_group_idx ON client_warning (group_id, probability DESC, client_id)
    INCLUDE (bank_id, region_id, branch_id, industry_id, manager_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired, clv, warned_since, legal_name);
CREATE INDEX client_warning_branch_idx ON client_warning (branch_id, probability DESC, client_id)
    INCLUDE (bank_id, region_id, group_id, industry_id, manager_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired, clv, warned_since, legal_name);
CREATE INDEX client_warning_manager_idx ON client_warning (manager_id, probability DESC, client_id)
    INCLUDE (bank_id, region_id, branch_id, group_id, industry_id, level, turnover_fired, balance_fired, tx_fired,
             closed_fired, income_fired, lifetime_fired, contact_fired, clv, warned_since, legal_name);
CREATE INDEX client_active_group_name_idx ON client (group_id, legal_name, id)
    INCLUDE (since, tax_id, bank_id, manager_id, branch_id) WHERE left_on IS NULL;

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
