-- Reads of the worklist. Every query carries the marker {{scope:c}},
-- replaced by the viewer's access.ClientScope over client c.

-- name: income
-- The clients' average monthly income as the nightly run measured it: a
-- retention action's income at risk. $1 clients.
SELECT cs.client_id, cs.profitability
FROM client_score cs
JOIN client c ON c.id = cs.client_id
WHERE cs.client_id = ANY ($1::bigint[]) AND {{scope:c}};

-- name: as-of
-- The as-of month of the latest successful nightly run: what the worklist
-- is as of (null before the first run). It reads no client.
SELECT max(as_of) FROM nightly_run WHERE status = 'succeeded';
