-- The take-up model's evidence as data (issue 14, item 1: languages).
--
-- The nightly run's scored offers kept the inputs that raise a client's
-- chance as English words ("turnover of 12,400 EUR a month (odds ×1.8)"),
-- which a trigger's figures then carried ("evidence" in reason_args). They
-- now keep a jsonb array of the inputs' codes, values and contributions to
-- the log-odds ([{"input": "turnover_3m", "value": 1240000, "contribution":
-- 0.59}, ...]); internal/reasons writes it in the reader's language, the
-- English word for word as before.
--
-- nightly_w_offer is a working table every run truncates; a row left in it
-- keeps its words as a JSON string. Triggers raised before this migration
-- keep their evidence as a string too, which the renderer shows as it is.

-- +goose Up
ALTER TABLE nightly_w_offer ALTER COLUMN evidence TYPE jsonb USING to_jsonb(evidence);

-- +goose Down
ALTER TABLE nightly_w_offer ALTER COLUMN evidence TYPE text USING evidence::text;
