package settings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
)

// Get returns the setting called key.
func (s *Store) Get(ctx context.Context, key string) (Setting, error) {
	return get(ctx, s.g, key)
}

func get(ctx context.Context, g *gorm.DB, key string) (Setting, error) {
	var st Setting
	err := g.WithContext(ctx).Where("key = ?", key).First(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, fmt.Errorf("setting %q: %w", key, db.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("setting %q: %w", key, err)
	}
	return st, nil
}

var lockForUpdate = clause.Locking{Strength: "UPDATE"}

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
	err := s.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Lock the row, so that two admins saving the same setting at once
		// record the old values they really replaced.
		err := tx.WithContext(ctx).Clauses(lockForUpdate).Where("key = ?", key).First(&st).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("setting %q: %w", key, db.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("setting %q: %w", key, err)
		}
		norm, err := Validate(st, value(st))
		if err != nil {
			return err
		}
		if err := checkOrder(ctx, tx, st, norm); err != nil {
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
		if err := tx.WithContext(ctx).Model(&st).Select("value", "updated_at", "updated_by").Updates(&st).Error; err != nil {
			return fmt.Errorf("save setting %q: %w", key, err)
		}
		details := map[string]any{"from": old, "to": norm}
		if reset {
			details["reset"] = true
		}
		return audit.Record(ctx, db.GormTx(tx), by.Entry("setting.update", "setting:"+key, details))
	})
	return st, err
}

// checkOrder refuses a value that would put an ordered pair out of order.
func checkOrder(ctx context.Context, tx *gorm.DB, st Setting, value string) error {
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
		o, err := get(ctx, tx, other)
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
			return invalid(st, "%s must stay below %s (%s)", value, strings.ToLower(o.Label[:1])+o.Label[1:], o.Value)
		case !below && a <= b:
			return invalid(st, "%s must stay above %s (%s)", value, strings.ToLower(o.Label[:1])+o.Label[1:], o.Value)
		}
	}
	return nil
}

// Problem is what is wrong with a value, as Validate or Update reported it:
// the message shown beside the field.
func Problem(err error) string {
	var e *invalidError
	if errors.As(err, &e) {
		return e.problem
	}
	return err.Error()
}

// Listed is a setting with the login of whoever changed it last.
type Listed struct {
	Setting
	UpdatedByLogin string
}

// List returns every setting, by area and key, with who changed it last.
func (s *Store) List(ctx context.Context) ([]Listed, error) {
	var out []Listed
	err := s.g.WithContext(ctx).Raw(`
		SELECT s.*, coalesce(u.login, '') AS updated_by_login
		FROM setting s LEFT JOIN app_user u ON u.id = s.updated_by
		ORDER BY s.area, s.key`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return out, nil
}
