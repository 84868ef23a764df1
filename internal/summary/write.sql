-- name: write
-- Rewrites the summary of the clients in client_summary_todo (a temporary
-- table the caller fills in its transaction: the clients of an import's
-- facts, or those a run found not current) from their facts, for the as-of
-- month and windows given, in one set-based statement: the same sums,
-- counts and months as the nightly run's pass over the facts
-- (internal/nightly segments.client), of the same types. A client with no
-- fact in the months read gets a row of zero counts and no sums, which reads
-- as the pass's client with none.
-- $1 scan_from, $2 profit_from, $3 recent_from, $4 base_from, $5 as_of, $6 input_from
INSERT INTO client_summary AS s (
    client_id, as_of, scan_from, profit_from, recent_from, base_from, input_from,
    profit_months, profit_income, profit_tx, recent_months, base_months,
    turnover_recent, turnover_base, balance_recent, balance_base, tx_recent, tx_base, income_recent, income_base,
    income_0, income_1, income_2, income_3, income_4, income_5, income_6, income_7, income_8, income_9, income_10,
    income_11, income_12,
    tx_0, tx_1, tx_2, tx_3, tx_4, tx_5, tx_6, tx_7, tx_8, tx_9, tx_10, tx_11,
    m12, turnover_sum12, balance_sum12, tx_sum12, income_sum12,
    m_first3, turnover_first3, balance_first3, tx_first3, income_first3,
    m_last3, turnover_last3, balance_last3, tx_last3, income_last3, idle_rows)
WITH f AS (
    SELECT f.client_id,
           count(*) FILTER (WHERE f.month >= $2::date) AS profit_months,
           sum(f.income) FILTER (WHERE f.month >= $2::date) AS profit_income,
           sum(f.tx_count) FILTER (WHERE f.month >= $2::date) AS profit_tx,
           count(*) FILTER (WHERE f.month >= $3::date) AS recent_months,
           count(*) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS base_months,
           sum(f.turnover) FILTER (WHERE f.month >= $3::date) AS turnover_recent,
           sum(f.turnover) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS turnover_base,
           sum(f.avg_balance) FILTER (WHERE f.month >= $3::date) AS balance_recent,
           sum(f.avg_balance) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS balance_base,
           sum(f.tx_count) FILTER (WHERE f.month >= $3::date) AS tx_recent,
           sum(f.tx_count) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS tx_base,
           sum(f.income) FILTER (WHERE f.month >= $3::date) AS income_recent,
           sum(f.income) FILTER (WHERE f.month >= $4::date AND f.month < $3::date) AS income_base,
           -- one row a month, so max is that month's
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '0 months')::date) AS income_0,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '1 months')::date) AS income_1,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '2 months')::date) AS income_2,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '3 months')::date) AS income_3,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '4 months')::date) AS income_4,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '5 months')::date) AS income_5,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '6 months')::date) AS income_6,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '7 months')::date) AS income_7,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '8 months')::date) AS income_8,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '9 months')::date) AS income_9,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '10 months')::date) AS income_10,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '11 months')::date) AS income_11,
           max(f.income) FILTER (WHERE f.month = ($5::date - interval '12 months')::date) AS income_12,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '0 months')::date) AS tx_0,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '1 months')::date) AS tx_1,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '2 months')::date) AS tx_2,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '3 months')::date) AS tx_3,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '4 months')::date) AS tx_4,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '5 months')::date) AS tx_5,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '6 months')::date) AS tx_6,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '7 months')::date) AS tx_7,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '8 months')::date) AS tx_8,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '9 months')::date) AS tx_9,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '10 months')::date) AS tx_10,
           max(f.tx_count) FILTER (WHERE f.month = ($5::date - interval '11 months')::date) AS tx_11,
           count(*) FILTER (WHERE f.month >= $6::date) AS m12,
           (sum(f.turnover) FILTER (WHERE f.month >= $6::date))::numeric AS turnover_sum12,
           (sum(f.avg_balance) FILTER (WHERE f.month >= $6::date))::numeric AS balance_sum12,
           (sum(f.tx_count) FILTER (WHERE f.month >= $6::date))::numeric AS tx_sum12,
           (sum(f.income) FILTER (WHERE f.month >= $6::date))::numeric AS income_sum12,
           count(*) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date) AS m_first3,
           (sum(f.turnover) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS turnover_first3,
           (sum(f.avg_balance) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS balance_first3,
           (sum(f.tx_count) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS tx_first3,
           (sum(f.income) FILTER (WHERE f.month >= $6::date AND f.month < ($6::date + interval '3 months')::date))::numeric AS income_first3,
           count(*) FILTER (WHERE f.month > ($5::date - interval '3 months')::date) AS m_last3,
           (sum(f.turnover) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS turnover_last3,
           (sum(f.avg_balance) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS balance_last3,
           (sum(f.tx_count) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS tx_last3,
           (sum(f.income) FILTER (WHERE f.month > ($5::date - interval '3 months')::date))::numeric AS income_last3,
           count(*) FILTER (WHERE f.month >= $6::date AND f.tx_count = 0) AS idle_rows
    FROM monthly_fact f
    WHERE f.month >= $1::date AND f.month <= $5::date
      AND f.client_id IN (SELECT client_id FROM client_summary_todo)
    GROUP BY f.client_id
)
SELECT t.client_id, $5::date, $1::date, $2::date, $3::date, $4::date, $6::date,
       coalesce(f.profit_months, 0), f.profit_income, f.profit_tx, coalesce(f.recent_months, 0),
       coalesce(f.base_months, 0),
       f.turnover_recent, f.turnover_base, f.balance_recent, f.balance_base, f.tx_recent, f.tx_base,
       f.income_recent, f.income_base,
       f.income_0, f.income_1, f.income_2, f.income_3, f.income_4, f.income_5, f.income_6, f.income_7, f.income_8,
       f.income_9, f.income_10, f.income_11, f.income_12,
       f.tx_0, f.tx_1, f.tx_2, f.tx_3, f.tx_4, f.tx_5, f.tx_6, f.tx_7, f.tx_8, f.tx_9, f.tx_10, f.tx_11,
       coalesce(f.m12, 0), f.turnover_sum12, f.balance_sum12, f.tx_sum12, f.income_sum12,
       coalesce(f.m_first3, 0), f.turnover_first3, f.balance_first3, f.tx_first3, f.income_first3,
       coalesce(f.m_last3, 0), f.turnover_last3, f.balance_last3, f.tx_last3, f.income_last3,
       coalesce(f.idle_rows, 0)
FROM client_summary_todo t
LEFT JOIN f ON f.client_id = t.client_id
ON CONFLICT (client_id) DO UPDATE SET
    as_of = EXCLUDED.as_of, scan_from = EXCLUDED.scan_from, profit_from = EXCLUDED.profit_from,
    recent_from = EXCLUDED.recent_from, base_from = EXCLUDED.base_from, input_from = EXCLUDED.input_from,
    profit_months = EXCLUDED.profit_months, profit_income = EXCLUDED.profit_income, profit_tx = EXCLUDED.profit_tx,
    recent_months = EXCLUDED.recent_months, base_months = EXCLUDED.base_months,
    turnover_recent = EXCLUDED.turnover_recent, turnover_base = EXCLUDED.turnover_base,
    balance_recent = EXCLUDED.balance_recent, balance_base = EXCLUDED.balance_base,
    tx_recent = EXCLUDED.tx_recent, tx_base = EXCLUDED.tx_base,
    income_recent = EXCLUDED.income_recent, income_base = EXCLUDED.income_base,
    income_0 = EXCLUDED.income_0, income_1 = EXCLUDED.income_1, income_2 = EXCLUDED.income_2,
    income_3 = EXCLUDED.income_3, income_4 = EXCLUDED.income_4, income_5 = EXCLUDED.income_5,
    income_6 = EXCLUDED.income_6, income_7 = EXCLUDED.income_7, income_8 = EXCLUDED.income_8,
    income_9 = EXCLUDED.income_9, income_10 = EXCLUDED.income_10, income_11 = EXCLUDED.income_11,
    income_12 = EXCLUDED.income_12,
    tx_0 = EXCLUDED.tx_0, tx_1 = EXCLUDED.tx_1, tx_2 = EXCLUDED.tx_2, tx_3 = EXCLUDED.tx_3, tx_4 = EXCLUDED.tx_4,
    tx_5 = EXCLUDED.tx_5, tx_6 = EXCLUDED.tx_6, tx_7 = EXCLUDED.tx_7, tx_8 = EXCLUDED.tx_8, tx_9 = EXCLUDED.tx_9,
    tx_10 = EXCLUDED.tx_10, tx_11 = EXCLUDED.tx_11,
    m12 = EXCLUDED.m12, turnover_sum12 = EXCLUDED.turnover_sum12, balance_sum12 = EXCLUDED.balance_sum12,
    tx_sum12 = EXCLUDED.tx_sum12, income_sum12 = EXCLUDED.income_sum12,
    m_first3 = EXCLUDED.m_first3, turnover_first3 = EXCLUDED.turnover_first3,
    balance_first3 = EXCLUDED.balance_first3, tx_first3 = EXCLUDED.tx_first3,
    income_first3 = EXCLUDED.income_first3,
    m_last3 = EXCLUDED.m_last3, turnover_last3 = EXCLUDED.turnover_last3, balance_last3 = EXCLUDED.balance_last3,
    tx_last3 = EXCLUDED.tx_last3, income_last3 = EXCLUDED.income_last3, idle_rows = EXCLUDED.idle_rows;
