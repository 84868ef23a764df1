-- Languages (issue 14, item 1): each user may choose the language Relay
-- speaks to them; NULL follows the browser's Accept-Language.

-- +goose Up
ALTER TABLE app_user ADD COLUMN locale text CHECK (locale IN ('en', 'bg', 'ru'));
COMMENT ON COLUMN app_user.locale IS 'the language the user chose (en, bg, ru); NULL follows the browser';

-- +goose Down
ALTER TABLE app_user DROP COLUMN locale;
