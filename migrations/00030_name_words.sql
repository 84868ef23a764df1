-- The risk team's name search at a million clients (issue 15, item 4).
--
-- A search of the whole group for a common word ("meridian": 13,869 of the
-- 1,000,000 names) found its matches through the trigram index, which cannot
-- tell a match without the row: every match was rechecked on the client
-- table's heap (9,409 of its 16,323 pages, 55 ms p95 on a quiet machine).
--
-- A search text without a space is a substring of a name exactly when it is
-- a substring of one of the name's words (the runs of characters between
-- spaces, tabs and line breaks). client_name_word keeps, for each word of
-- each client's name, the columns the client list filters and orders by,
-- keyed by the word, so a search reads the few words that match (name_word,
-- one row per distinct word, through its trigram index) and then, for each,
-- its clients in one index-only range of client_name_word: about 170 index
-- pages for "meridian" instead of 9,409 heap pages. What a search finds is
-- the same (the same ILIKE, on the words); a text with a space still
-- searches the names themselves (client_search_named, 00022).
--
-- Triggers on client keep both tables (statement-level, with the changed
-- rows as transition tables, so an import of a million clients writes them
-- set-based). Only the owner reads them: relay_app reaches them through
-- client_search_words, like client_search_named, for its own group only.

-- +goose Up
-- client_name_words returns the distinct words of a name.
CREATE FUNCTION client_name_words(name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(name, '[ \t\n\r\f\v]+') AS w WHERE w <> ''
$$;

CREATE TABLE name_word (word text PRIMARY KEY);
CREATE INDEX name_word_trgm_idx ON name_word USING gin (word gin_trgm_ops);

CREATE TABLE client_name_word (
    word        text     NOT NULL,
    group_id    smallint NOT NULL,
    id          bigint   NOT NULL,
    bank_id     smallint NOT NULL,
    branch_id   integer  NOT NULL,
    region_id   smallint NOT NULL,
    industry_id smallint NOT NULL,
    manager_id  integer,
    size_band   text     NOT NULL,
    since       date     NOT NULL,
    left_on     date,
    legal_name  text     NOT NULL,
    tax_id      text     NOT NULL
);

-- Written in word order, so that a word's clients sit together on the heap
-- too (an index-only scan reads them there until the table is vacuumed).
INSERT INTO name_word SELECT DISTINCT w FROM client c, client_name_words(c.legal_name) w;
INSERT INTO client_name_word
SELECT w, c.group_id, c.id, c.bank_id, c.branch_id, c.region_id, c.industry_id, c.manager_id, c.size_band,
       c.since, c.left_on, c.legal_name, c.tax_id
FROM client c, client_name_words(c.legal_name) w
ORDER BY 1, 2, 3;
CREATE INDEX client_name_word_idx ON client_name_word (word, group_id, id)
    INCLUDE (bank_id, branch_id, region_id, industry_id, manager_id, size_band, since, left_on, legal_name, tax_id);
CREATE INDEX client_name_word_id_idx ON client_name_word (id);

REVOKE ALL ON name_word, client_name_word FROM relay_app;

-- +goose StatementBegin
CREATE FUNCTION client_name_word_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO name_word SELECT DISTINCT w FROM new_rows n, client_name_words(n.legal_name) w
    ON CONFLICT DO NOTHING;
    INSERT INTO client_name_word
    SELECT w, n.group_id, n.id, n.bank_id, n.branch_id, n.region_id, n.industry_id, n.manager_id, n.size_band,
           n.since, n.left_on, n.legal_name, n.tax_id
    FROM new_rows n, client_name_words(n.legal_name) w;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- An update rewrites the words of the clients whose copied columns changed
-- (an import that rewrites every client unchanged writes nothing). The
-- statement's parts see the table as it was before it, so the old words are
-- deleted and the new ones inserted in one statement.
-- +goose StatementBegin
CREATE FUNCTION client_name_word_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    WITH changed AS MATERIALIZED (
        SELECT id, group_id, bank_id, branch_id, region_id, industry_id, manager_id, size_band, since, left_on,
               legal_name, tax_id FROM new_rows
        EXCEPT
        SELECT id, group_id, bank_id, branch_id, region_id, industry_id, manager_id, size_band, since, left_on,
               legal_name, tax_id FROM old_rows
    ),
    gone AS (
        DELETE FROM client_name_word p
        WHERE p.id IN (SELECT id FROM changed UNION ALL (SELECT id FROM old_rows EXCEPT SELECT id FROM new_rows))
    ),
    words AS (
        INSERT INTO name_word SELECT DISTINCT w FROM changed n, client_name_words(n.legal_name) w
        ON CONFLICT DO NOTHING
    )
    INSERT INTO client_name_word
    SELECT w, n.group_id, n.id, n.bank_id, n.branch_id, n.region_id, n.industry_id, n.manager_id, n.size_band,
           n.since, n.left_on, n.legal_name, n.tax_id
    FROM changed n, client_name_words(n.legal_name) w;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION client_name_word_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE client_name_word;
    ELSE
        DELETE FROM client_name_word p USING old_rows o WHERE p.id = o.id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER client_name_word_insert AFTER INSERT ON client REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION client_name_word_insert();
CREATE TRIGGER client_name_word_update AFTER UPDATE ON client REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION client_name_word_update();
CREATE TRIGGER client_name_word_delete AFTER DELETE ON client REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION client_name_word_delete();
CREATE TRIGGER client_name_word_truncate AFTER TRUNCATE ON client
    FOR EACH STATEMENT EXECUTE FUNCTION client_name_word_delete();

-- client_search_words returns at most `most` clients of group grp one of
-- whose name's words matches word_pattern (ILIKE), with the columns of
-- client_search_named. Like it, it searches as the owner and returns nothing
-- to relay_app unless the connection's viewer is of group grp.
-- +goose StatementBegin
CREATE FUNCTION client_search_words(word_pattern text, grp smallint, most integer)
RETURNS TABLE (id bigint, group_id smallint, bank_id smallint, branch_id integer, region_id smallint,
               industry_id smallint, manager_id integer, size_band text, since date, left_on date,
               legal_name text, tax_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF relay_viewer_group() IS DISTINCT FROM grp AND pg_has_role(session_user, 'relay_app', 'MEMBER') THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT DISTINCT ON (p.id) p.id, p.group_id, p.bank_id, p.branch_id, p.region_id, p.industry_id, p.manager_id,
               p.size_band, p.since, p.left_on, p.legal_name, p.tax_id
        FROM client_name_word p
        WHERE p.word IN (SELECT w.word FROM name_word w WHERE w.word ILIKE word_pattern) AND p.group_id = grp
        ORDER BY p.id
        LIMIT most;
END $$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION client_search_words(text, smallint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION client_search_words(text, smallint, integer) TO relay_app;

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
