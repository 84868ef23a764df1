-- The administration pages: the audit log read newest first, narrowed by
-- action, login or object, a page at a time by keyset over (at, id). Each
-- filter gets an index that hands rows over in that order, so a page costs the
-- same on a log of millions of entries as on a new one.

-- +goose Up
CREATE INDEX audit_log_at_id_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_action_at_id_idx ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_login_at_id_idx ON audit_log (login, at DESC, id DESC);
-- text_pattern_ops serves both an exact object (user:12) and a kind of object
-- (LIKE 'user:%') whatever the database's collation.
CREATE INDEX audit_log_object_at_id_idx ON audit_log (object text_pattern_ops, at DESC, id DESC);
-- The two foundation indexes are prefixes of the new ones and only slowed writes.
DROP INDEX audit_log_at_idx;
DROP INDEX audit_log_action_idx;

-- +goose Down
-- Forward-only: Relay never rolls a migration back.
SELECT 1;
