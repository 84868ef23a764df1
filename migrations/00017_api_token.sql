-- Personal access tokens for the read API (issue 14, item 3).
--
-- A token acts as the user who made it, scoped exactly like that user's
-- pages. Only the SHA-256 of the token is kept: the token is 32 random bytes,
-- so a fast hash is enough (there is nothing to guess that a slow hash would
-- protect, unlike a password) and a lookup by hash is one index probe. The
-- token itself is shown once, when it is made.

-- +goose Up
CREATE TABLE api_token (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES app_user (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- the token's first characters, so that a person can tell tokens apart
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    -- written at most once a minute (tokens.Authenticate)
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX api_token_user ON api_token (user_id, created_at DESC);

-- +goose Down
DROP TABLE api_token;
