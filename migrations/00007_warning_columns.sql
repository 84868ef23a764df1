-- The churn list filters, scopes and orders warnings by where the client
-- stands (group, region, branch, industry, manager), its name and its value at
-- risk. client_warning carries them, as of the nightly run, so that the list
-- reads client_warning alone instead of probing client and client_score once
-- for every warning. The run writes them (internal/nightly/publish.sql, in
-- this order, after the columns of 00002); the feed import and the
-- reassignment of clients keep them up to date during the day
-- (internal/imports: refresh-warnings; internal/clients: reassign-warnings).
-- Like every published column they carry no NOT NULL: the run's CREATE
-- TABLE AS would not keep it.

-- +goose Up
ALTER TABLE client_warning
    ADD COLUMN group_id    smallint,
    ADD COLUMN region_id   smallint,
    ADD COLUMN branch_id   integer,
    ADD COLUMN industry_id smallint,
    ADD COLUMN legal_name  text,
    ADD COLUMN clv         bigint;

-- The warnings published before this migration get their copies now, not at
-- the next run.
UPDATE client_warning w
SET group_id = c.group_id, region_id = c.region_id, branch_id = c.branch_id, industry_id = c.industry_id,
    legal_name = c.legal_name, clv = s.clv
FROM client c
LEFT JOIN client_score s ON s.client_id = c.id
WHERE c.id = w.client_id;

-- The same indexes as the run builds (publish.sql).
CREATE INDEX client_warning_group_idx ON client_warning (group_id, score DESC, client_id);
CREATE INDEX client_warning_branch_idx ON client_warning (branch_id, score DESC, client_id);

-- +goose Down
SELECT 1;
