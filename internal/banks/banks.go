// Package banks finds the banks a fit, a backtest or a report covers: one
// bank by its code, or every bank of the installation's only group.
package banks

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/db"
)

//go:embed banks.sql
var sqlFS embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFS, "internal/banks", "banks.sql")}

var queries = SQL[0].Queries

// Bank is a bank of a group.
type Bank struct {
	ID      int16
	GroupID int16
	Code    string
	Name    string
}

// EveryBank ends the label of a scope that covers every bank of a group;
// pages say it in the reader's language.
const EveryBank = " (every bank)"

// Scope is what a fit or a report covers: one bank, or every bank of a group.
type Scope struct {
	GroupID int16
	BankID  *int16 // nil: every bank of the group
	Label   string
}

// Resolve finds the bank of code, or the only group and its banks when code
// is empty.
func Resolve(ctx context.Context, q db.Querier, code string) (Scope, []Bank, error) {
	if code != "" {
		var b Bank
		err := q.QueryRow(ctx, queries.Get("bank-by-code"), code).Scan(&b.ID, &b.GroupID, &b.Code, &b.Name)
		if errors.Is(err, pgx.ErrNoRows) {
			return Scope{}, nil, fmt.Errorf("bank %q: no bank has this code", code)
		}
		if err != nil {
			return Scope{}, nil, fmt.Errorf("bank %q: %w", code, err)
		}
		return Scope{GroupID: b.GroupID, BankID: &b.ID, Label: b.Name}, []Bank{b}, nil
	}
	rows, err := q.Query(ctx, queries.Get("groups"))
	if err != nil {
		return Scope{}, nil, fmt.Errorf("groups: %w", err)
	}
	type group struct {
		id         int16
		code, name string
	}
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (group, error) {
		var g group
		return g, r.Scan(&g.id, &g.code, &g.name)
	})
	if err != nil {
		return Scope{}, nil, fmt.Errorf("groups: %w", err)
	}
	switch len(groups) {
	case 0:
		return Scope{}, nil, errors.New("no banking group exists yet")
	case 1:
	default:
		return Scope{}, nil, fmt.Errorf("%d banking groups exist: name a bank with --bank", len(groups))
	}
	banks, err := OfGroup(ctx, q, groups[0].id)
	if err != nil {
		return Scope{}, nil, err
	}
	return Scope{GroupID: groups[0].id, Label: groups[0].name + EveryBank}, banks, nil
}

// OfGroup lists a group's banks.
func OfGroup(ctx context.Context, q db.Querier, groupID int16) ([]Bank, error) {
	rows, err := q.Query(ctx, queries.Get("banks"), groupID)
	if err != nil {
		return nil, fmt.Errorf("banks: %w", err)
	}
	banks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Bank, error) {
		var b Bank
		return b, r.Scan(&b.ID, &b.GroupID, &b.Code, &b.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("banks: %w", err)
	}
	return banks, nil
}
