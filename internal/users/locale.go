package users

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

// SetLocale sets the language user id chose; "" follows the browser. Audited.
func (s *Store) SetLocale(ctx context.Context, by audit.Actor, id int64, code string) error {
	var value *string
	if code != "" {
		if _, ok := i18n.Parse(code); !ok {
			return input.Errors{"locale": i18n.T(ctx, "account.language.unknown", "Code", fmt.Sprintf("%q", code))}
		}
		value = &code
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, queries.Get("set-locale"), id, value)
		if err != nil {
			return fmt.Errorf("set language of user %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %d: %w", id, db.ErrNotFound)
		}
		return audit.Record(ctx, tx, by.Entry("user.locale", userObject(id), map[string]any{"locale": code}))
	})
}
