-- The quiet night's warnings (issue 15, item 1, second half): what of the
-- warnings moves with the run's day is the contacts (counted to the run's
-- day), so it gets a working table of its own, nightly_w_contact, rebuilt by
-- every run; the signals (nightly_w_signal, now without the no-contact
-- signal's columns) and the inputs (nightly_w_input) are kept after a
-- successful run with the segments' and profiles' tables, and a quick night
-- recomputes only the inputs that read the contacts (docs/nightly.md).
--
-- The working tables are built by the run itself (CREATE TABLE AS); these
-- definitions are for the statements' check at start. The kept tables of the
-- run before were built by the old statements: they are not kept any more,
-- so the next run is full.

-- A quick night publishes by difference (nightly_merge_in): most of what it
-- publishes is what the night before published (the same as-of month, the
-- same kept inputs), so instead of switching in a rebuilt table it deletes,
-- updates and inserts only the rows whose key is gone, whose columns differ
-- (IS DISTINCT FROM) or whose key is new, in the run's final transaction.
-- Readers keep reading the table meanwhile (no table lock but a writer's)
-- and see all of the changes at its commit. A table whose columns are not
-- exactly those of its rebuilt one, or that has no primary key, is switched
-- in as before. It returns the rows written, or -1 when it switched.

-- +goose Up
ALTER TABLE nightly_w_signal DROP COLUMN contact_last, DROP COLUMN contact_value, DROP COLUMN s_contact;
CREATE UNLOGGED TABLE nightly_w_contact (
    client_id bigint, contact_last date, contact_value float8, s_contact float8, bank_started bigint,
    client_started bigint, complaints bigint
);
DELETE FROM nightly_w_kept;

-- +goose StatementBegin
CREATE FUNCTION nightly_merge_in(t text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cols_old text;
    cols_new text;
    cols     text;
    ocols    text;
    ncols    text;
    keyeq    text;
    n        bigint;
    written  bigint := 0;
BEGIN
    IF to_regclass(t || '_new') IS NULL THEN
        RAISE EXCEPTION 'nightly: % was not built', t || '_new';
    END IF;
    SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
    INTO cols_old
    FROM pg_attribute a WHERE a.attrelid = to_regclass(t) AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum),
           string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum),
           string_agg(format('o.%I', a.attname), ', ' ORDER BY a.attnum),
           string_agg(format('n.%I', a.attname), ', ' ORDER BY a.attnum)
    INTO cols_new, cols, ocols, ncols
    FROM pg_attribute a WHERE a.attrelid = to_regclass(t || '_new') AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT string_agg(format('o.%1$I = n.%1$I', a.attname), ' AND ')
    INTO keyeq
    FROM pg_index x
    CROSS JOIN LATERAL unnest(x.indkey) AS k(attnum)
    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    WHERE x.indrelid = to_regclass(t) AND x.indisprimary;
    IF cols_old IS DISTINCT FROM cols_new OR keyeq IS NULL THEN
        PERFORM nightly_switch_in(ARRAY[t]);
        RETURN -1;
    END IF;
    EXECUTE format('DELETE FROM %I o WHERE NOT EXISTS (SELECT 1 FROM %I n WHERE %s)', t, t || '_new', keyeq);
    GET DIAGNOSTICS n = ROW_COUNT;
    written := written + n;
    EXECUTE format('UPDATE %I o SET (%s) = ROW(%s) FROM %I n WHERE %s AND ROW(%s) IS DISTINCT FROM ROW(%s)',
                   t, cols, ncols, t || '_new', keyeq, ocols, ncols);
    GET DIAGNOSTICS n = ROW_COUNT;
    written := written + n;
    EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM %I n WHERE NOT EXISTS (SELECT 1 FROM %I o WHERE %s)',
                   t, cols, ncols, t || '_new', t, keyeq);
    GET DIAGNOSTICS n = ROW_COUNT;
    written := written + n;
    EXECUTE format('DROP TABLE %I', t || '_new');
    RETURN written;
END $$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION nightly_merge_in(text) FROM PUBLIC;

-- +goose Down
DROP FUNCTION nightly_merge_in(text);
DROP TABLE nightly_w_contact;
ALTER TABLE nightly_w_signal ADD COLUMN contact_last date, ADD COLUMN contact_value float8, ADD COLUMN s_contact float8;
DELETE FROM nightly_w_kept;
