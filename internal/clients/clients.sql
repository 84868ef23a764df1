-- Queries of the clients package. {{scope:c}} is replaced by the viewer's
-- condition over the client table aliased c (see access.ClientScope).

-- name: card
SELECT c.id, c.ref, c.tax_id, c.legal_name, c.size_band, c.since, c.left_on,
       b.id, b.code, b.name, b.currency, b.minor_digits,
       br.code, br.name, r.name, i.code, i.name,
       c.manager_id, coalesce(u.name, ''), coalesce(u.login, '')
FROM client c
JOIN bank b ON b.id = c.bank_id
JOIN branch br ON br.id = c.branch_id
JOIN region r ON r.id = c.region_id
JOIN industry i ON i.id = c.industry_id
LEFT JOIN app_user u ON u.id = c.manager_id
WHERE c.id = $1 AND {{scope:c}};

-- name: card-facts
-- The client's last months of facts, newest last.
SELECT f.month, f.income, f.turnover, f.avg_balance, f.tx_count
FROM (
    SELECT month, income, turnover, avg_balance, tx_count
    FROM monthly_fact
    WHERE client_id = $1
      AND EXISTS (SELECT 1 FROM client c WHERE c.id = $1 AND {{scope:c}})
    ORDER BY month DESC
    LIMIT $2
) f
ORDER BY f.month;

-- name: card-holdings
SELECT p.code, p.name, p.family, p.income_kind, h.opened_on, h.closed_on
FROM holding h
JOIN product p ON p.id = h.product_id
WHERE h.client_id = $1
  AND EXISTS (SELECT 1 FROM client c WHERE c.id = $1 AND {{scope:c}})
ORDER BY h.closed_on IS NOT NULL, h.closed_on DESC, h.opened_on, p.code;

-- name: last-fact-month
-- The latest month of facts in the database: the "as of" of every figure.
SELECT to_date(substring(max(c.relname) FROM 'y(\d{4})m(\d{2})$'), 'YYYYMM')
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'monthly_fact'::regclass
  AND c.reltuples <> 0;
