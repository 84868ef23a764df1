// Package reference owns a banking group's reference data: the group itself,
// its banks (each with its currency and the currency's minor digits), its
// regions and its industries (NACE Rev.2 sections or the bank's own codes).
// A bank sets them up on its first day, with `relay setup`, on the admin's
// reference page or from the reference files of the feed (internal/imports);
// every change made here is written to the audit log.
package reference

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/seeds"
)

//go:embed reference.sql
var sqlFiles embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFiles, "internal/reference", "reference.sql")}

var queries = SQL[0].Queries

// The forms of the codes, as the feed and the database check them.
var (
	CodePattern     = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,19}$`)
	IndustryPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,19}$`)
	CurrencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// MaxNameLength bounds the name of a group, bank, region or industry.
const MaxNameLength = 200

// Group is a banking group.
type Group struct {
	ID         int64
	Code, Name string
}

// Bank is a bank of the group.
type Bank struct {
	ID                   int64
	Code, Name, Currency string
	MinorDigits          int
	InUse                bool // a client of the bank is in Relay
}

// Code is a region or an industry of the group.
type Code struct {
	ID         int64
	Code, Name string
	NACE       string // industries: the NACE Rev.2 section, A-U, or empty
	InUse      bool   // a client refers to it
}

// Data is the whole of a group's reference data, as the admin page shows it.
type Data struct {
	Group      Group
	Banks      []Bank
	Regions    []Code
	Industries []Code
}

// Load reads the reference data of group groupID.
func Load(ctx context.Context, q db.Querier, groupID int64) (Data, error) {
	var d Data
	err := q.QueryRow(ctx, queries.Get("group"), groupID).Scan(&d.Group.ID, &d.Group.Code, &d.Group.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("banking group %d: %w", groupID, db.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("banking group %d: %w", groupID, err)
	}
	rows, err := q.Query(ctx, queries.Get("banks"), groupID)
	if err == nil {
		d.Banks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Bank, error) {
			var b Bank
			return b, r.Scan(&b.ID, &b.Code, &b.Name, &b.Currency, &b.MinorDigits, &b.InUse)
		})
	}
	if err != nil {
		return d, fmt.Errorf("banks: %w", err)
	}
	for _, k := range []struct {
		query string
		into  *[]Code
	}{{"regions", &d.Regions}, {"industries", &d.Industries}} {
		rows, err := q.Query(ctx, queries.Get(k.query), groupID)
		if err == nil {
			*k.into, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Code, error) {
				var c Code
				return c, r.Scan(&c.ID, &c.Code, &c.Name, &c.NACE, &c.InUse)
			})
		}
		if err != nil {
			return d, fmt.Errorf("%s: %w", k.query, err)
		}
	}
	return d, nil
}

// checkName adds what is wrong with a name to errs.
func checkName(ctx context.Context, errs input.Errors, field, name string) {
	switch {
	case strings.TrimSpace(name) == "":
		errs.Add(field, i18n.T(ctx, "reference.problem.name.empty"))
	case utf8.RuneCountInString(name) > MaxNameLength:
		errs.Add(field, i18n.Plural(ctx, "reference.problem.name.long", int64(MaxNameLength)))
	case strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name):
		errs.Add(field, i18n.T(ctx, "reference.problem.name.line"))
	}
}

// SetupResult says what Setup did.
type SetupResult struct {
	Group      Group
	Created    bool  // the group is new
	Industries int64 // NACE sections added
}

// Setup creates the banking group code, or renames it, and when nace is set
// and the group has no industry yet, gives it the 21 NACE Rev.2 sections.
// It is what `relay setup` runs on a new install.
func Setup(ctx context.Context, pool *pgxpool.Pool, code, name string, nace bool) (SetupResult, error) {
	var res SetupResult
	code = strings.ToUpper(strings.TrimSpace(code))
	name = strings.TrimSpace(name)
	errs := input.Errors{}
	if !CodePattern.MatchString(code) {
		errs.Add("group", fmt.Sprintf("%q is not a group code: use 1-20 capital letters, digits, dashes or underscores", code))
	}
	checkName(ctx, errs, "name", name)
	if err := errs.Err(); err != nil {
		return res, err
	}
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, queries.Get("setup-group"), code, name).Scan(&res.Group.ID, &res.Created); err != nil {
			return fmt.Errorf("set up group %s: %w", code, err)
		}
		res.Group.Code, res.Group.Name = code, name
		if nace {
			codes, names := make([]string, len(seeds.Industries)), make([]string, len(seeds.Industries))
			for i, ind := range seeds.Industries {
				codes[i], names[i] = ind.Code, ind.Name
			}
			tag, err := tx.Exec(ctx, queries.Get("setup-nace"), res.Group.ID, codes, names)
			if err != nil {
				return fmt.Errorf("NACE sections: %w", err)
			}
			res.Industries = tag.RowsAffected()
		}
		return audit.Record(ctx, tx, audit.Entry{Login: "cli", Action: "reference.setup", Object: fmt.Sprintf("group:%d", res.Group.ID),
			Details: map[string]any{"code": code, "name": name, "created": res.Created, "nace_sections": res.Industries}})
	})
	return res, err
}

// GroupForm is the group's name as an administrator types it.
type GroupForm struct{ Name string }

// BankForm is a bank as an administrator types it: a new code adds a bank, a
// known one changes it.
type BankForm struct{ Code, Name, Currency, MinorDigits string }

// CodeForm is a region or an industry as an administrator types it.
type CodeForm struct{ Code, Name, NACE string }

// Store writes a group's reference data, each change audited.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store over pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// RenameGroup changes the name of group groupID.
func (s *Store) RenameGroup(ctx context.Context, by audit.Actor, groupID int64, f GroupForm) error {
	f.Name = strings.TrimSpace(f.Name)
	errs := input.Errors{}
	checkName(ctx, errs, "name", f.Name)
	if err := errs.Err(); err != nil {
		return err
	}
	return s.save(ctx, by, "group", fmt.Sprintf("group:%d", groupID), map[string]any{"name": f.Name},
		queries.Get("rename-group"), groupID, f.Name)
}

// SaveBank adds a bank to group groupID, or changes the one with its code. A
// bank's currency and minor digits cannot change once it has clients: their
// amounts are stored in its minor units.
func (s *Store) SaveBank(ctx context.Context, by audit.Actor, groupID int64, f BankForm) error {
	f.Code = strings.ToUpper(strings.TrimSpace(f.Code))
	f.Name = strings.TrimSpace(f.Name)
	f.Currency = strings.ToUpper(strings.TrimSpace(f.Currency))
	errs := input.Errors{}
	if !CodePattern.MatchString(f.Code) {
		errs.Add("code", i18n.T(ctx, "reference.problem.code.bank"))
	}
	checkName(ctx, errs, "name", f.Name)
	if !CurrencyPattern.MatchString(f.Currency) {
		errs.Add("currency", i18n.T(ctx, "reference.problem.currency"))
	}
	digits, err := strconv.Atoi(strings.TrimSpace(f.MinorDigits))
	if err != nil || digits < 0 || digits > 4 {
		errs.Add("minor_digits", i18n.T(ctx, "reference.problem.minor_digits"))
	}
	if len(errs) == 0 {
		var other bool
		var clients int64
		var currency string
		var curDigits int
		err := s.pool.QueryRow(ctx, queries.Get("bank-by-code"), f.Code, groupID).Scan(&other, &clients, &currency, &curDigits)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("bank %s: %w", f.Code, err)
		case other:
			errs.Add("code", i18n.T(ctx, "reference.problem.code.other"))
		case clients > 0 && (currency != f.Currency || curDigits != digits):
			errs.Add("currency", i18n.T(ctx, "reference.problem.currency.fixed", "Code", f.Code, "Currency", currency, "Digits", curDigits))
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return s.save(ctx, by, "bank", "bank:"+f.Code,
		map[string]any{"code": f.Code, "name": f.Name, "currency": f.Currency, "minor_digits": digits},
		queries.Get("save-bank"), groupID, f.Code, f.Name, f.Currency, digits)
}

// SaveRegion adds a region to group groupID, or renames the one with its code.
func (s *Store) SaveRegion(ctx context.Context, by audit.Actor, groupID int64, f CodeForm) error {
	f.Code = strings.ToUpper(strings.TrimSpace(f.Code))
	f.Name = strings.TrimSpace(f.Name)
	errs := input.Errors{}
	if !CodePattern.MatchString(f.Code) {
		errs.Add("code", i18n.T(ctx, "reference.problem.code.region"))
	}
	checkName(ctx, errs, "name", f.Name)
	if err := errs.Err(); err != nil {
		return err
	}
	return s.save(ctx, by, "region", "region:"+f.Code, map[string]any{"code": f.Code, "name": f.Name},
		queries.Get("save-region"), groupID, f.Code, f.Name)
}

// SaveIndustry adds an industry to group groupID, or changes the one with
// its code.
func (s *Store) SaveIndustry(ctx context.Context, by audit.Actor, groupID int64, f CodeForm) error {
	f.Code = strings.ToUpper(strings.TrimSpace(f.Code))
	f.Name = strings.TrimSpace(f.Name)
	f.NACE = strings.ToUpper(strings.TrimSpace(f.NACE))
	errs := input.Errors{}
	if !IndustryPattern.MatchString(f.Code) {
		errs.Add("code", i18n.T(ctx, "reference.problem.code.industry"))
	}
	checkName(ctx, errs, "name", f.Name)
	if f.NACE != "" && (len(f.NACE) != 1 || f.NACE[0] < 'A' || f.NACE[0] > 'U') {
		errs.Add("nace", i18n.T(ctx, "reference.problem.nace"))
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return s.save(ctx, by, "industry", "industry:"+f.Code, map[string]any{"code": f.Code, "name": f.Name, "nace": f.NACE},
		queries.Get("save-industry"), groupID, f.Code, f.Name, f.NACE)
}

// save runs an upsert that returns whether it inserted, and audits it as
// what.create or what.update; a row that is the same already changes nothing.
func (s *Store) save(ctx context.Context, by audit.Actor, what, object string, details map[string]any, sql string, args ...any) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var inserted bool
		err := tx.QueryRow(ctx, sql, args...).Scan(&inserted)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // the same as before
		}
		if err != nil {
			return fmt.Errorf("save %s: %w", what, err)
		}
		action := "reference." + what + ".update"
		if inserted {
			action = "reference." + what + ".create"
		}
		return audit.Record(ctx, tx, audit.Entry{UserID: by.UserID, Login: by.Login, IP: by.IP, Action: action,
			Object: object, Details: details})
	})
}
