-- Look-ups of the churn list's export. The rows themselves come from the
-- churn list's own query (internal/warnings: list), so the export and the page
-- cannot disagree.

-- name: bank-by-code
-- A bank of the viewer's group by its code. $1 code, $2 group.
SELECT id FROM bank WHERE code = $1 AND group_id = $2;
