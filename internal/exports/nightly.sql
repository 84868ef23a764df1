-- The nightly run's lists, streamed to CSV. Every query carries the marker
-- {{scope:c}}, replaced by the viewer's access.ClientScope over
-- client c.

-- name: triggers
-- Open triggers shown to managers (not the control group's), by priority.
SELECT t.id, c.ref, b.code, p.code, t.expected_value, t.priority, b.minor_digits, b.currency, t.status,
       t.raised_as_of, coalesce(u.login, ''), t.reason, t.reason_key, t.reason_args
FROM cross_sell_trigger t
JOIN client c ON c.id = t.client_id
JOIN bank b ON b.id = c.bank_id
JOIN product p ON p.id = t.product_id
LEFT JOIN app_user u ON u.id = c.manager_id
WHERE t.status IN ('new', 'contacted', 'offered') AND NOT t.hidden AND {{scope:c}}
ORDER BY t.priority DESC, t.id;

-- name: warnings
-- Warnings, riskiest first, with every signal's value and the figures of
-- those that fired (key and figures, written in words by internal/reasons).
SELECT c.ref, b.code, coalesce(u.login, ''), w.score, w.level, w.warned_since, w.as_of,
       w.turnover_value, w.turnover_fired, w.balance_value, w.balance_fired, w.tx_value, w.tx_fired,
       w.closed_value, w.closed_fired, w.income_value, w.income_fired, w.lifetime_value, w.lifetime_fired,
       w.contact_value, w.contact_fired,
       b.currency, b.minor_digits,
       CASE WHEN w.turnover_fired THEN w.turnover_figures END, CASE WHEN w.balance_fired THEN w.balance_figures END,
       CASE WHEN w.tx_fired THEN w.tx_figures END, CASE WHEN w.closed_fired THEN w.closed_figures END,
       CASE WHEN w.income_fired THEN w.income_figures END, CASE WHEN w.lifetime_fired THEN w.lifetime_figures END,
       CASE WHEN w.contact_fired THEN w.contact_figures END
FROM client_warning w
JOIN client c ON c.id = w.client_id
JOIN bank b ON b.id = c.bank_id
LEFT JOIN app_user u ON u.id = w.manager_id
WHERE {{scope:c}}
ORDER BY w.probability DESC, w.client_id;

-- name: group
-- A banking group by code, or the only one when code is empty. $1 code.
SELECT id, code, count(*) OVER ()::integer
FROM banking_group
WHERE $1::text = '' OR code = $1
ORDER BY id
LIMIT 2;

-- name: scores
-- Every active client's churn score as the last run gave it, warned or not,
-- with its inputs and their contributions (in the order of input_codes).
SELECT c.ref, b.code, cc.probability, cc.score, coalesce(w.level, ''), cc.model_id, cc.inputs, cc.contribs,
       sc.input_codes
FROM client_churn cc
JOIN client c ON c.id = cc.client_id
JOIN bank b ON b.id = c.bank_id
LEFT JOIN client_warning w ON w.client_id = cc.client_id
LEFT JOIN bank_churn_scorer sc ON sc.bank_id = cc.bank_id
WHERE {{scope:c}}
ORDER BY cc.probability DESC, cc.client_id;
