-- Single sign-on with OpenID Connect (issue 14, item 2).
--
-- A user who signs in through the bank's identity provider is known by the
-- provider's issuer and subject (the "sub" claim, which never changes, unlike
-- a login or an email address); their role, branch and name follow the
-- provider's groups at each sign-in. The provider's settings are rows of the
-- setting table; its client secret is not (RELAY_OIDC_CLIENT_SECRET or
-- RELAY_OIDC_CLIENT_SECRET_FILE, docs/sso.md), so that it is never shown on
-- the settings page nor written to the audit log of a change.

-- +goose Up
ALTER TABLE app_user ADD COLUMN oidc_issuer text, ADD COLUMN oidc_subject text,
    ADD CONSTRAINT app_user_oidc_check CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL)),
    ADD CONSTRAINT app_user_oidc_key UNIQUE (oidc_issuer, oidc_subject);

ALTER TABLE setting DROP CONSTRAINT setting_kind_check;
ALTER TABLE setting ADD CONSTRAINT setting_kind_check
    CHECK (kind IN ('int', 'ratio', 'cron', 'text', 'path', 'families', 'networks', 'url', 'groupmap', 'switch'));

INSERT INTO setting (key, value, default_value, kind, min_value, max_value, area, label, description) VALUES
('sso.issuer', '', '', 'url', NULL, NULL, 'sign-in', 'Identity provider (issuer URL)',
 'The OpenID Connect issuer of the bank''s identity provider, e.g. https://login.bank.example/realms/staff; empty: no single sign-on. Its client secret is read from RELAY_OIDC_CLIENT_SECRET or the file RELAY_OIDC_CLIENT_SECRET_FILE, never stored here.'),
('sso.provider_name', 'the bank login', 'the bank login', 'text', NULL, NULL, 'sign-in', 'Identity provider name',
 'How the sign-in page names the provider: "Sign in with ..."'),
('sso.client_id', '', '', 'text', NULL, NULL, 'sign-in', 'Client id',
 'The client id Relay is registered with at the identity provider.'),
('sso.redirect_url', '', '', 'url', NULL, NULL, 'sign-in', 'Redirect URL',
 'Relay''s callback as registered at the identity provider: Relay''s address followed by /login/oidc/callback, e.g. https://relay.bank.example/login/oidc/callback.'),
('sso.groups_claim', 'groups', 'groups', 'text', NULL, NULL, 'sign-in', 'Groups claim',
 'The ID token claim that lists the user''s groups (a list of names, or one name).'),
('sso.group_roles', '', '', 'groupmap', NULL, NULL, 'sign-in', 'Groups to roles',
 'Which provider group gives which role (and branch), separated by semicolons: group = role, or group = role BRANCH for managers and branch heads, e.g. relay-admins = admin; sofia-heads = branch_head SOF01. The first entry whose group the user has decides; a user with none of them is refused.'),
('sso.passwords', 'on', 'on', 'switch', NULL, NULL, 'sign-in', 'Password sign-in',
 'on: users may also sign in with a Relay password; off: only with the identity provider, except the break-glass administrator below.'),
('sso.break_glass_login', '', '', 'text', NULL, NULL, 'sign-in', 'Break-glass administrator',
 'The login of the one administrator who may still sign in with a password when password sign-in is off (when the identity provider is down).');

-- +goose Down
DELETE FROM setting WHERE key LIKE 'sso.%';
ALTER TABLE setting DROP CONSTRAINT setting_kind_check;
ALTER TABLE setting ADD CONSTRAINT setting_kind_check
    CHECK (kind IN ('int', 'ratio', 'cron', 'text', 'path', 'families', 'networks'));
ALTER TABLE app_user DROP COLUMN oidc_issuer, DROP COLUMN oidc_subject;
