-- The catalogue's named queries: the administrators' changes, each in a
-- transaction with its audit entry. Reading the catalogue is gorm's (List, Get).

-- name: code-owner
-- The name of group $1's product with code $2.
SELECT name FROM product WHERE group_id = $1 AND code = $2;

-- name: insert
INSERT INTO product (group_id, code, name, family, income_kind, key_product, active)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id;

-- name: get-for-update
-- Group $1's product $2, locked until the change is written.
SELECT id, group_id, code, name, family, income_kind, key_product, active
FROM product WHERE group_id = $1 AND id = $2
FOR UPDATE;

-- name: update
UPDATE product SET name = $2, family = $3, income_kind = $4, key_product = $5, active = $6 WHERE id = $1;
