-- Hardening (issue 12): sign-in throttling by login and address, trusted
-- proxies, the inbox as a path under a root fixed at start, an append-only
-- audit log, the application's own role, and row-level security on client
-- data as a second net under the scoping in SQL. docs/security.md describes
-- the whole.

-- +goose Up

-- Sign-in throttling. Each failed sign-in counts against three keys: the
-- login with the address it came from, the login alone, and the address
-- alone. An attempt is counted before its password is checked, under the
-- key's row lock, so parallel guesses are counted one by one. Past a key's
-- threshold, every further attempt waits for a delay that doubles with each
-- failure (internal/users/throttle.sql).
CREATE TABLE login_throttle (
    key          text PRIMARY KEY CHECK (length(key) <= 300),
    failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_start timestamptz NOT NULL DEFAULT now(),  -- failures older than the window are forgotten
    not_before   timestamptz NOT NULL DEFAULT now(),  -- no attempt on this key before then
    last_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_throttle_last_idx ON login_throttle (last_at);

ALTER TABLE setting DROP CONSTRAINT setting_kind_check;
ALTER TABLE setting ADD CONSTRAINT setting_kind_check
    CHECK (kind IN ('int', 'ratio', 'cron', 'text', 'path', 'families', 'networks'));

UPDATE setting SET label = 'Failed sign-ins before a delay',
    description = 'After this many failed sign-ins for a login from one address, each further attempt waits twice as long as the last (for a login from any address, or from one address for any login, the threshold is 4 and 20 times this).'
WHERE key = 'login.max_failures';
UPDATE setting SET label = 'Failed sign-in window (minutes)',
    description = 'Failed sign-ins are forgotten this long after the first; the delay for a login from one address never exceeds it (for a login alone, or an address alone, one minute).'
WHERE key = 'login.lockout_minutes';

INSERT INTO setting (key, value, default_value, kind, min_value, max_value, area, label, description) VALUES
('security.trusted_proxies', '', '', 'networks', NULL, NULL, 'security', 'Trusted reverse proxies',
 'Addresses or CIDR ranges (comma-separated) of the reverse proxies in front of Relay. A client''s address is taken from X-Forwarded-For only as far as these proxies vouch for it; empty: from the connection.');

-- The inbox is a directory under the root fixed at start (RELAY_INBOX_ROOT):
-- the setting may only name a subdirectory of it.
UPDATE setting SET label = 'Feed inbox (under the inbox root)',
    description = 'The nightly run imports a feed found in this directory, relative to the inbox root the server was started with (RELAY_INBOX_ROOT); empty: the root itself. Without a root there is no inbox.',
    value = CASE WHEN value LIKE '/%' OR value ~ '(^|/)\.\.(/|$)' OR value LIKE '%\\%' THEN '' ELSE value END
WHERE key = 'import.inbox_dir';

-- The audit log is append-only, even for the role that owns it.
-- +goose StatementBegin
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The application's role. `relay serve` connects as relay_app (or a login role
-- granted relay_app) to serve pages: it owns no table, may read and write rows
-- but change no schema, only add to the audit log, and sees client data only
-- through the row-level security below. Migrations, the nightly run and
-- imports run as the owner (the role that runs this file). .ci/db-up and the
-- test harness create the role; a deployment creates it once with
--   CREATE ROLE relay_app LOGIN PASSWORD '...';
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO relay_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO relay_app;
REVOKE UPDATE, DELETE ON audit_log FROM relay_app;
-- Tables the owner creates later (the nightly run's published tables, new
-- partitions of monthly_fact, later migrations) get the same rights.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO relay_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO relay_app;
-- The functions that change the schema are the owner's alone.
REVOKE EXECUTE ON FUNCTION nightly_switch_in(text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ensure_fact_partition(date) FROM PUBLIC;

-- Row-level security on client data, keyed on the viewer. The web layer puts
-- the signed-in viewer on the connection each time a request takes one from
-- the pool (internal/db: WithViewer): relay.viewer_user for a manager,
-- relay.viewer_branch for a branch head, relay.viewer_group for the risk team
-- and admins (who see no client record, but count the clients of the group's
-- managers). With none set, relay_app sees no client data at all. The queries
-- still carry their own scope (access.ClientScope); this is the net under it.
-- Each setting is read once per statement (a scalar subquery, an InitPlan),
-- so the check costs an integer comparison per row. The policy is on the
-- tables that carry the client's manager, branch and group (client,
-- client_warning); the tables keyed by client_id alone (holding,
-- monthly_fact, contact, cross_sell_trigger, client_score) are read joined
-- to client, whose policy then keeps the rows of the viewer's clients only.
-- (A policy on them that looked up client for every row made a manager's
-- worklist scan 1.7 million triggers on the 1,000,000-client bank: 9 s.)
CREATE FUNCTION relay_viewer_user() RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('relay.viewer_user', true), '')::integer $$;
CREATE FUNCTION relay_viewer_branch() RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('relay.viewer_branch', true), '')::integer $$;
CREATE FUNCTION relay_viewer_group() RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('relay.viewer_group', true), '')::smallint $$;

-- relay_protect_client_rows puts the viewer policy on a table of client data
-- with manager_id, branch_id and group_id columns. nightly_switch_in calls it
-- on client_warning, which each run rebuilds.
-- +goose StatementBegin
CREATE FUNCTION relay_protect_client_rows(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS viewer ON %s', t);
    EXECUTE format($p$CREATE POLICY viewer ON %s TO relay_app USING (
        manager_id = (SELECT relay_viewer_user())
        OR branch_id = (SELECT relay_viewer_branch())
        OR group_id = (SELECT relay_viewer_group()))$p$, t);
END $$;
-- +goose StatementEnd

SELECT relay_protect_client_rows(t) FROM unnest(ARRAY['client', 'client_warning']::regclass[]) AS t;

-- client_ids_named finds the clients of a group by name (ILIKE pattern) or by
-- tax id prefix and ref, through their indexes. Under row-level security a
-- condition that is not leakproof (ILIKE, LIKE) cannot use an index, so the
-- risk team's search over the whole group read every client (3 s on the
-- 1,000,000-client bank, against 70 ms); this function searches as the owner
-- and returns ids only, of the viewer's own group when a viewer is set on the
-- connection of relay_app. The caller reads the rows through client, under
-- its policy. At most $5 ids.
-- +goose StatementBegin
CREATE FUNCTION client_ids_named(name_pattern text, tax_prefix text, ref_exact text, grp smallint, most integer)
RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF relay_viewer_group() IS DISTINCT FROM grp AND pg_has_role(session_user, 'relay_app', 'MEMBER') THEN
        RETURN '{}';
    END IF;
    -- one statement per kind of search, so that each is planned on its index
    IF name_pattern IS NOT NULL THEN
        RETURN (SELECT coalesce(array_agg(m.id), '{}') FROM
                (SELECT c.id FROM client c WHERE c.legal_name ILIKE name_pattern AND c.group_id = grp LIMIT most) m);
    END IF;
    RETURN (SELECT coalesce(array_agg(m.id), '{}') FROM
            (SELECT c.id FROM client c WHERE (c.tax_id LIKE tax_prefix OR c.ref = ref_exact) AND c.group_id = grp LIMIT most) m);
END $$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION client_ids_named(text, text, text, smallint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION client_ids_named(text, text, text, smallint, integer) TO relay_app;

-- nightly_switch_in, as in 00002, and the rebuilt tables get their policy again.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nightly_switch_in(tables text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t text;
    ix text;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        IF to_regclass(t || '_new') IS NULL THEN
            RAISE EXCEPTION 'nightly: % was not built', t || '_new';
        END IF;
        EXECUTE format('DROP TABLE IF EXISTS %I', t);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_new', t);
        FOR ix IN
            SELECT c.relname
            FROM pg_index x
            JOIN pg_class c ON c.oid = x.indexrelid
            WHERE x.indrelid = t::regclass AND left(c.relname, length(t) + 5) = t || '_new_'
        LOOP
            EXECUTE format('ALTER INDEX %I RENAME TO %I', ix, t || '_' || substr(ix, length(t) + 6));
        END LOOP;
        IF t = 'client_warning' THEN
            PERFORM relay_protect_client_rows(t::regclass);
        END IF;
    END LOOP;
END $$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION nightly_switch_in(text[]) FROM PUBLIC;

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
