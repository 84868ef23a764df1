-- The learned churn models: their records, which one scores each bank, and
-- the history a fit and a backtest replay.

-- name: history-span
-- The first and last month of facts, and the month of the latest leaving
-- recorded: a leaving dated after the last month of facts is an outcome the
-- data already knows.
SELECT (SELECT min(month) FROM monthly_fact), (SELECT max(month) FROM monthly_fact),
       (SELECT date_trunc('month', max(left_on))::date FROM client);

-- name: active-at
-- Clients active at the end of the month starting $1, of a bank ($2) or all.
SELECT count(*) FROM client
WHERE since < ($1::date + interval '1 month')::date
  AND (left_on IS NULL OR left_on >= ($1::date + interval '1 month')::date)
  AND ($2::smallint IS NULL OR bank_id = $2);

-- name: leavers-between
-- Clients of a bank ($3) or all that left from $1 to before $2.
SELECT count(*) FROM client
WHERE left_on >= $1::date AND left_on < $2::date AND ($3::smallint IS NULL OR bank_id = $3);

-- name: insert-model
INSERT INTO fitted_model (group_id, bank_id, purpose, source, origin, fitted_at, created_by, card, body,
                          test_auc, test_lift, fixed_auc, fixed_lift, beats_fixed)
VALUES ($1, $2, 'churn', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
RETURNING id;

-- name: use-model
-- Which model scores a bank from the next run (null: the fixed weights).
INSERT INTO bank_model (bank_id, purpose, model_id, chosen_at, chosen_by, reason)
VALUES ($1, 'churn', $2, now(), $3, $4)
ON CONFLICT (bank_id, purpose) DO UPDATE
SET model_id = excluded.model_id, chosen_at = excluded.chosen_at, chosen_by = excluded.chosen_by,
    reason = excluded.reason;

-- name: list-models
SELECT m.id, m.group_id, m.bank_id, coalesce(b.code, ''), coalesce(b.name, ''), m.source, m.origin, m.fitted_at,
       m.created_at, m.card, m.test_auc, m.test_lift, m.fixed_auc, m.fixed_lift, m.beats_fixed,
       coalesce((SELECT array_agg(ub.code ORDER BY ub.code) FROM bank_model bm JOIN bank ub ON ub.id = bm.bank_id
                 WHERE bm.model_id = m.id AND bm.purpose = 'churn'), '{}') AS used_by
FROM fitted_model m
LEFT JOIN bank b ON b.id = m.bank_id
WHERE m.group_id = $1 AND m.purpose = 'churn'
ORDER BY m.created_at DESC, m.id DESC
LIMIT $2;

-- name: get-model
SELECT m.id, m.group_id, m.bank_id, coalesce(b.code, ''), coalesce(b.name, ''), m.source, m.origin, m.fitted_at,
       m.created_at, m.card, m.test_auc, m.test_lift, m.fixed_auc, m.fixed_lift, m.beats_fixed,
       coalesce((SELECT array_agg(ub.code ORDER BY ub.code) FROM bank_model bm JOIN bank ub ON ub.id = bm.bank_id
                 WHERE bm.model_id = m.id AND bm.purpose = 'churn'), '{}') AS used_by
FROM fitted_model m
LEFT JOIN bank b ON b.id = m.bank_id
WHERE m.id = $1 AND m.group_id = $2 AND m.purpose = 'churn';

-- name: model-body
SELECT body FROM fitted_model WHERE id = $1 AND group_id = $2 AND purpose = 'churn';

-- name: bank-uses
-- Every bank of a group, the model that scores it from the next run (null:
-- the fixed weights), why, and the scorer the last run used.
SELECT b.id, b.code, b.name, bm.model_id, coalesce(bm.reason, ''), bm.chosen_at,
       sc.model_id IS NOT NULL AS scored_by_model, sc.model_id, sc.as_of
FROM bank b
LEFT JOIN bank_model bm ON bm.bank_id = b.id AND bm.purpose = 'churn'
LEFT JOIN bank_churn_scorer sc ON sc.bank_id = b.id
WHERE b.group_id = $1
ORDER BY b.id;
