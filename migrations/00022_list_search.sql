-- The client list at a million clients (issue 15, item 4): filters by region
-- or industry, and the risk team's name search.
--
-- Filtered by region (with size and tenure) or by industry (sorted by tenure
-- or not), the list read its matches through single-column indexes and then
-- the client rows (8,282 heap pages for the 907 medium clients of a region
-- with 24-36 months of tenure). Two indexes of the active clients carry, after
-- their keys, every column the list filters by, reads for its page's order and
-- the row policy's columns, so that both are index-only scans: region, size
-- band and arrival date (region; region and size; region, size and tenure);
-- industry and arrival date (industry, with or without tenure, read in
-- arrival order for a sort by tenure).
--
-- The risk team's name search found its matches' ids with client_ids_named
-- (00011: ILIKE under row-level security cannot use the trigram index), then
-- read each match again through the primary key (about 59,000 buffers for a
-- common word's 13,900 matches). client_search_named returns, in the one scan
-- of the trigram index and the heap, the columns the list filters and orders
-- by, for the viewer's own group only: the rows the policy would let the
-- viewer read anyway. What a search finds is unchanged: the same ILIKE.

-- +goose Up
CREATE INDEX client_active_region_idx ON client (region_id, size_band, since, id)
    INCLUDE (group_id, bank_id, branch_id, manager_id, industry_id, legal_name, tax_id) WHERE left_on IS NULL;
CREATE INDEX client_active_industry_idx ON client (industry_id, since, id)
    INCLUDE (group_id, bank_id, branch_id, manager_id, region_id, size_band, legal_name, tax_id) WHERE left_on IS NULL;

-- client_search_named returns at most `most` clients of group grp whose legal
-- name matches name_pattern (ILIKE), with the columns the client list filters
-- and orders by. Like client_ids_named it searches as the owner, through the
-- trigram index, and returns nothing to relay_app unless the connection's
-- viewer is of group grp, the rows the viewer policy lets a group's viewer see.
-- +goose StatementBegin
CREATE FUNCTION client_search_named(name_pattern text, grp smallint, most integer)
RETURNS TABLE (id bigint, group_id smallint, bank_id smallint, branch_id integer, region_id smallint,
               industry_id smallint, manager_id integer, size_band text, since date, left_on date,
               legal_name text, tax_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF relay_viewer_group() IS DISTINCT FROM grp AND pg_has_role(session_user, 'relay_app', 'MEMBER') THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT c.id, c.group_id, c.bank_id, c.branch_id, c.region_id, c.industry_id, c.manager_id, c.size_band,
               c.since, c.left_on, c.legal_name, c.tax_id
        FROM client c
        WHERE c.legal_name ILIKE name_pattern AND c.group_id = grp
        LIMIT most;
END $$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION client_search_named(text, smallint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION client_search_named(text, smallint, integer) TO relay_app;

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
