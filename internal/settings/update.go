package settings

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
)

//go:embed settings.sql
var sqlFiles embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFiles, "internal/settings", "settings.sql")}

var queries = SQL[0].Queries

// Get returns the setting called key.
func (s *Store) Get(ctx context.Context, key string) (Setting, error) {
	return Get(ctx, s.pool, key)
}

// Get returns the setting called key.
func Get(ctx context.Context, q db.Querier, key string) (Setting, error) {
	return getSetting(ctx, q, "get", key)
}

// getSetting reads the setting key with the named query get or get-for-update.
func getSetting(ctx context.Context, q db.Querier, query, key string) (Setting, error) {
	var st Setting
	err := q.QueryRow(ctx, queries.Get(query), key).Scan(&st.Key, &st.Value, &st.DefaultValue, &st.Kind,
		&st.MinValue, &st.MaxValue, &st.Area, &st.Label, &st.Description, &st.UpdatedAt, &st.UpdatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("setting %q: %w", key, db.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("setting %q: %w", key, err)
	}
	return st, nil
}

// ordered are pairs of settings whose values must keep an order: the first
// strictly below the second.
var ordered = [][2]string{
	{"warning.level_watch", "warning.level_high"},
}

// Update validates value for the setting key, stores it and writes the change
// (old and new value) to the audit log in the same transaction. A value the
// setting does not accept returns an error wrapping ErrInvalid, whose Problem
// is the message to show beside the field; nothing is written then.
func (s *Store) Update(ctx context.Context, by audit.Actor, key, value string) (Setting, error) {
	return s.update(ctx, by, key, func(Setting) string { return value }, false)
}

// Reset puts the setting key back to its default value, audited like Update.
func (s *Store) Reset(ctx context.Context, by audit.Actor, key string) (Setting, error) {
	return s.update(ctx, by, key, func(st Setting) string { return st.DefaultValue }, true)
}

func (s *Store) update(ctx context.Context, by audit.Actor, key string, value func(Setting) string, reset bool) (Setting, error) {
	var st Setting
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// Lock the row, so that two admins saving the same setting at once
		// record the old values they really replaced.
		var err error
		if st, err = getSetting(ctx, tx, "get-for-update", key); err != nil {
			return err
		}
		norm, err := Validate(st, value(st))
		if err != nil {
			return err
		}
		if err := checkOrder(ctx, tx, st, norm); err != nil {
			return err
		}
		if err := checkBreakGlass(ctx, tx, st, norm); err != nil {
			return err
		}
		old := st.Value
		if norm == old {
			return nil
		}
		st.Value, st.UpdatedAt, st.UpdatedBy = norm, time.Now(), nil
		if by.UserID != 0 {
			st.UpdatedBy = &by.UserID
		}
		if _, err := tx.Exec(ctx, queries.Get("save"), key, st.Value, st.UpdatedAt, st.UpdatedBy); err != nil {
			return fmt.Errorf("save setting %q: %w", key, err)
		}
		details := map[string]any{"from": old, "to": norm}
		if reset {
			details["reset"] = true
		}
		return audit.Record(ctx, tx, by.Entry("setting.update", "setting:"+key, details))
	})
	return st, err
}

// checkOrder refuses a value that would put an ordered pair out of order.
func checkOrder(ctx context.Context, tx db.Querier, st Setting, value string) error {
	for _, p := range ordered {
		var other string
		var below bool
		switch st.Key {
		case p[0]:
			other, below = p[1], true
		case p[1]:
			other = p[0]
		default:
			continue
		}
		o, err := Get(ctx, tx, other)
		if err != nil {
			return err
		}
		a, errA := strconv.ParseFloat(value, 64)
		b, errB := strconv.ParseFloat(o.Value, 64)
		if errA != nil || errB != nil {
			continue
		}
		switch {
		case below && a >= b:
			return invalid(st, "settings.problem.below", "Value", value, "Other", lowerLabel(o), "OtherValue", o.Value)
		case !below && a <= b:
			return invalid(st, "settings.problem.above", "Value", value, "Other", lowerLabel(o), "OtherValue", o.Value)
		}
	}
	return nil
}

// checkBreakGlass refuses to turn password sign-in off without a
// break-glass administrator, or to clear them while it is off: with the
// identity provider down, nobody could sign in to fix it.
func checkBreakGlass(ctx context.Context, tx db.Querier, st Setting, value string) error {
	var other string
	switch {
	case st.Key == "sso.passwords" && value == "off":
		other = "sso.break_glass_login"
	case st.Key == "sso.break_glass_login" && value == "":
		other = "sso.passwords"
	default:
		return nil
	}
	o, err := Get(ctx, tx, other)
	if err != nil {
		return err
	}
	switch {
	case other == "sso.break_glass_login" && o.Value == "":
		return invalid(st, "settings.problem.breakglass.name")
	case other == "sso.passwords" && o.Value == "off":
		return invalid(st, "settings.problem.breakglass.off")
	}
	return nil
}

// Problem is what is wrong with a value, as Validate or Update reported it:
// the message shown beside the field.
func Problem(err error) string { return ProblemIn(i18n.English, err) }

// ProblemIn is Problem in language l.
func ProblemIn(l i18n.Locale, err error) string {
	var e *invalidError
	if errors.As(err, &e) {
		return e.problem(l)
	}
	return err.Error()
}

// lowerLabel is another setting's label, to name it within a sentence, in
// the language the sentence is written in.
func lowerLabel(o Setting) func(i18n.Locale) string {
	return func(l i18n.Locale) string {
		label := []rune(LabelIn(l, o.Key, o.Label))
		if len(label) == 0 {
			return ""
		}
		return strings.ToLower(string(label[:1])) + string(label[1:])
	}
}

// Listed is a setting with the login of whoever changed it last.
type Listed struct {
	Setting
	UpdatedByLogin string
}

// List returns every setting, by area and key, with who changed it last.
func (s *Store) List(ctx context.Context) ([]Listed, error) { return List(ctx, s.pool) }

// List returns every setting, by area and key, with who changed it last.
func List(ctx context.Context, q db.Querier) ([]Listed, error) {
	rows, err := q.Query(ctx, queries.Get("list"))
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Listed, error) {
		var l Listed
		err := row.Scan(&l.Key, &l.Value, &l.DefaultValue, &l.Kind, &l.MinValue, &l.MaxValue, &l.Area, &l.Label,
			&l.Description, &l.UpdatedAt, &l.UpdatedBy, &l.UpdatedByLogin)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return out, nil
}
