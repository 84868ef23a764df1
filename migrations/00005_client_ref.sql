-- The client list finds a client by its id in its bank's core system (ref)
-- across banks; the unique (bank_id, ref) index cannot serve that alone.

-- +goose Up
CREATE INDEX client_ref_idx ON client (ref);

-- +goose Down
SELECT 1;
