-- The last English sentences stored by imports and nightly runs as data
-- (issue 14, item 1: languages).
--
-- A nightly run and its steps kept why they failed as an English sentence
-- (error), and an import why it could not run (message). Each now keeps, next
-- to that sentence, the message key and its named values (error_key and
-- error_args, message_key and message_args): the runs and imports pages say
-- it in the reader's language. The sentence stays, in English, for the
-- command line, the log and the audit; an error that has no key (a database's
-- own, or any row written before this migration) is shown as stored. An
-- import's row errors are elements of its errors array and carry their key
-- and values there ("key", "args"), with no change of schema.
--
-- nightly_param_check now also says which settings are at fault as data: the
-- error's DETAIL is a JSON array of {key, problem, value}, problem being
-- novalue, notint or notnumber, value the setting's value as JSON.

-- +goose Up
ALTER TABLE nightly_run
    ADD COLUMN error_key  text  NOT NULL DEFAULT '',
    ADD COLUMN error_args jsonb NOT NULL DEFAULT '{}';
ALTER TABLE nightly_run_step
    ADD COLUMN error_key  text  NOT NULL DEFAULT '',
    ADD COLUMN error_args jsonb NOT NULL DEFAULT '{}';
ALTER TABLE feed_import
    ADD COLUMN message_key  text  NOT NULL DEFAULT '',
    ADD COLUMN message_args jsonb NOT NULL DEFAULT '{}';

DROP FUNCTION nightly_param_problems();
-- +goose StatementBegin
CREATE FUNCTION nightly_param_problems() RETURNS TABLE (key text, problem text, code text, value text)
LANGUAGE sql STABLE AS $$
SELECT x.key,
       CASE x.code
           WHEN 'novalue' THEN format('setting %s has no value', x.key)
           WHEN 'notint' THEN format('setting %s: %s is not a whole number', x.key, x.value)
           ELSE format('setting %s: %s is not a number', x.key, x.value)
       END,
       x.code, x.value
FROM (
    SELECT v.key,
           CASE WHEN v.type = 'text[]' THEN NULL
                WHEN v.value = '' THEN 'novalue'
                WHEN v.type = 'integer' AND v.value !~ '^[+-]?[0-9]{1,9}$' THEN 'notint'
                WHEN v.type <> 'integer' AND v.value !~ '^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$'
                    THEN 'notnumber'
           END AS code,
           to_json(v.value)::text AS value
    FROM (SELECT s.key, btrim(s.value) AS value, s.nightly_type AS type
          FROM setting s
          WHERE s.nightly_param IS NOT NULL) v
) x
WHERE x.code IS NOT NULL
ORDER BY x.key;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nightly_param_check() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    problems text;
    detail text;
BEGIN
    SELECT string_agg(p.problem, '; ' ORDER BY p.key),
           json_agg(json_build_object('key', p.key, 'problem', p.code, 'value', p.value) ORDER BY p.key)::text
    INTO problems, detail
    FROM nightly_param_problems() p;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'the nightly run''s settings are not usable: %', problems
            USING ERRCODE = 'invalid_parameter_value', DETAIL = detail, HINT = 'Correct them on the settings page.';
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
