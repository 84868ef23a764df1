-- A password reset ends the user's open sessions: each session remembers when
-- it signed in, and a session older than the last password change is closed.

-- +goose Up
ALTER TABLE app_user ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();

-- +goose Down
SELECT 1;
