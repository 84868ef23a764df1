-- Reads of churn warnings. Every query carries the marker
-- {{scope:c}}, replaced by the viewer's access.ClientScope over
-- client c.

-- name: for-client
-- $1 client.
SELECT w.client_id, c.ref, c.legal_name, b.code, b.currency, b.minor_digits, coalesce(w.manager_id, 0),
       coalesce(u.name, ''), w.score, w.level, w.warned_since, w.as_of,
       w.turnover_recent, w.turnover_base, w.turnover_value, w.turnover_fired, w.turnover_strength,
       w.turnover_share, w.turnover_figures,
       w.balance_recent, w.balance_base, w.balance_value, w.balance_fired, w.balance_strength,
       w.balance_share, w.balance_figures,
       w.tx_recent, w.tx_base, w.tx_value, w.tx_fired, w.tx_strength, w.tx_share, w.tx_figures,
       coalesce(w.closed_product_id, 0), coalesce(cp.code, ''), w.closed_on, coalesce(w.closed_key, false),
       w.closed_value, w.closed_fired, w.closed_strength, w.closed_share, w.closed_figures,
       w.income_from, w.income_to, w.income_value, w.income_fired, w.income_strength, w.income_share,
       w.income_figures,
       w.lifetime_typical, coalesce(w.lifetime_leavers, 0), w.lifetime_tenure, w.lifetime_value,
       w.lifetime_fired, w.lifetime_strength, w.lifetime_share, w.lifetime_figures,
       w.contact_last, w.contact_value, w.contact_fired, w.contact_strength, w.contact_share, w.contact_figures
FROM client_warning w
JOIN client c ON c.id = w.client_id
JOIN bank b ON b.id = c.bank_id
LEFT JOIN app_user u ON u.id = w.manager_id
LEFT JOIN product cp ON cp.id = w.closed_product_id
WHERE w.client_id = $1 AND {{scope:c}};

-- name: list
-- The warnings of the clients a viewer sees, riskiest first. $1 bank, $2
-- region, $3 industry, $4 manager (0: all), $5 level ('': both), $6 a
-- signal that fired ('': any), $7 limit, $8 offset.
SELECT w.client_id, c.ref, c.legal_name, b.code, b.currency, b.minor_digits, coalesce(w.manager_id, 0),
       coalesce(u.name, ''), w.score, w.level, w.warned_since, w.as_of,
       w.turnover_recent, w.turnover_base, w.turnover_value, w.turnover_fired, w.turnover_strength,
       w.turnover_share, w.turnover_figures,
       w.balance_recent, w.balance_base, w.balance_value, w.balance_fired, w.balance_strength,
       w.balance_share, w.balance_figures,
       w.tx_recent, w.tx_base, w.tx_value, w.tx_fired, w.tx_strength, w.tx_share, w.tx_figures,
       coalesce(w.closed_product_id, 0), coalesce(cp.code, ''), w.closed_on, coalesce(w.closed_key, false),
       w.closed_value, w.closed_fired, w.closed_strength, w.closed_share, w.closed_figures,
       w.income_from, w.income_to, w.income_value, w.income_fired, w.income_strength, w.income_share,
       w.income_figures,
       w.lifetime_typical, coalesce(w.lifetime_leavers, 0), w.lifetime_tenure, w.lifetime_value,
       w.lifetime_fired, w.lifetime_strength, w.lifetime_share, w.lifetime_figures,
       w.contact_last, w.contact_value, w.contact_fired, w.contact_strength, w.contact_share, w.contact_figures,
       count(*) OVER ()::integer
FROM client_warning w
JOIN client c ON c.id = w.client_id
JOIN bank b ON b.id = c.bank_id
LEFT JOIN app_user u ON u.id = w.manager_id
LEFT JOIN product cp ON cp.id = w.closed_product_id
WHERE ($1::smallint = 0 OR c.bank_id = $1)
  AND ($2::smallint = 0 OR c.region_id = $2)
  AND ($3::smallint = 0 OR c.industry_id = $3)
  AND ($4::integer = 0 OR w.manager_id = $4)
  AND ($5::text = '' OR w.level = $5)
  AND ($6::text = '' OR CASE $6::text
           WHEN 'turnover' THEN w.turnover_fired
           WHEN 'balance' THEN w.balance_fired
           WHEN 'transactions' THEN w.tx_fired
           WHEN 'product_closed' THEN w.closed_fired
           WHEN 'income_falling' THEN w.income_fired
           WHEN 'lifetime' THEN w.lifetime_fired
           WHEN 'no_contact' THEN w.contact_fired
           ELSE false END)
  AND {{scope:c}}
ORDER BY w.score DESC, w.client_id
LIMIT $7 OFFSET $8;
