package clients

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

//go:embed reassign.sql
var reassignFS embed.FS

var reassignFile = db.MustLoadFile(reassignFS, "internal/clients", "reassign.sql")

var reassignQueries = reassignFile.Queries

// ErrOnlyBranchHead is returned when someone other than a branch head tries
// to reassign clients.
var ErrOnlyBranchHead = access.Forbidden("only a branch head reassigns clients between the branch's managers")

// MaxReassign bounds the clients one reassignment of selected clients names.
const MaxReassign = 5000

// Reassignment gives clients of one manager of a branch to another manager
// of the same branch.
type Reassignment struct {
	From      int64   // the manager whose clients move
	To        int64   // the manager they move to; zero when none was chosen
	ClientIDs []int64 // the clients to move; ignored with All
	// All moves every client of From, those who have left the bank included
	// (a manager who leaves or changes branch must hand over all of them).
	All bool
}

// Manager names a manager in a reassignment.
type Manager struct {
	ID          int64
	Name, Login string
}

// Reassigned is what a reassignment did.
type Reassigned struct {
	From, To    Manager
	ClientIDs   []int64  // in id order
	ClientNames []string // their legal names, in the same order
	Left        int      // of them, clients who have left the bank
}

type lockedClient struct {
	id, managerID int64
	name          string
	left          bool
}

// Reassign moves the clients r names from r.From to r.To, with their open
// triggers and warnings (triggers are keyed by the client; a warning's copy of
// the manager is updated so that lists are right before the next nightly
// run), in one transaction with a client.reassign audit entry. Only a branch
// head may, within their branch: r.From outside it, or any client outside it,
// is db.ErrNotFound and nothing moves. A target that is not an active manager
// of the branch, an empty selection, or a client that is no longer r.From's is
// input.Errors on "to" or "clients", in ctx's language, and nothing moves.
func (s *Store) Reassign(ctx context.Context, v access.Viewer, by audit.Actor, r Reassignment) (Reassigned, error) {
	if v.Role != access.BranchHead {
		return Reassigned{}, ErrOnlyBranchHead
	}
	ids := slices.Clone(r.ClientIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out Reassigned
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		from, _, _, err := lockManager(ctx, tx, r.From, v.BranchID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("manager %d: %w", r.From, db.ErrNotFound)
		}
		if err != nil {
			return err
		}
		out.From = from

		errs := input.Errors{}
		var locked []lockedClient
		switch {
		case r.All:
			var args db.Args
			args.Add(r.From)
			if locked, err = lockClients(ctx, tx, access.Scoped(reassignQueries.Get("reassign-lock-all"), v, &args), args.Values()); err != nil {
				return err
			}
			if len(locked) == 0 {
				errs.Add("clients", i18n.T(ctx, "pipeline.refused.noclients", "Manager", from.Name))
			}
		case len(ids) == 0:
			errs.Add("clients", i18n.T(ctx, "pipeline.refused.noselection"))
		case len(ids) > MaxReassign:
			errs.Add("clients", i18n.T(ctx, "pipeline.refused.toomany", "Selected", i18n.Int(ctx, int64(len(ids))), "Max", i18n.Int(ctx, MaxReassign)))
		default:
			var args db.Args
			args.Add(ids)
			if locked, err = lockClients(ctx, tx, access.Scoped(reassignQueries.Get("reassign-lock-clients"), v, &args), args.Values()); err != nil {
				return err
			}
			// A client outside the branch is one that does not exist.
			if len(locked) < len(ids) {
				for i, c := range locked {
					if c.id != ids[i] {
						return fmt.Errorf("client %d: %w", ids[i], db.ErrNotFound)
					}
				}
				return fmt.Errorf("client %d: %w", ids[len(locked)], db.ErrNotFound)
			}
			for _, c := range locked {
				if c.managerID != r.From {
					errs.Add("clients", i18n.T(ctx, "pipeline.refused.notowned", "Client", c.name, "Manager", from.Name))
				}
			}
		}

		switch to, active, isManager, err := lockManager(ctx, tx, r.To, v.BranchID); {
		case r.To == 0:
			errs.Add("to", i18n.T(ctx, "pipeline.refused.noto"))
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && !isManager):
			errs.Add("to", i18n.T(ctx, "pipeline.refused.notmanager"))
		case err != nil:
			return err
		case !active:
			errs.Add("to", i18n.T(ctx, "pipeline.refused.inactive", "Manager", to.Name))
		case r.To == r.From:
			errs.Add("to", i18n.T(ctx, "pipeline.refused.same", "Manager", from.Name))
		default:
			out.To = to
		}
		if len(errs) > 0 {
			return errs
		}

		for _, c := range locked {
			out.ClientIDs = append(out.ClientIDs, c.id)
			out.ClientNames = append(out.ClientNames, c.name)
			if c.left {
				out.Left++
			}
		}
		if _, err := tx.Exec(ctx, reassignQueries.Get("reassign-clients"), out.ClientIDs, out.To.ID); err != nil {
			return fmt.Errorf("reassign clients to %s: %w", out.To.Login, err)
		}
		if _, err := tx.Exec(ctx, reassignQueries.Get("reassign-warnings"), out.ClientIDs, out.To.ID); err != nil {
			return fmt.Errorf("reassign warnings to %s: %w", out.To.Login, err)
		}
		return audit.Record(ctx, tx, by.Entry("client.reassign", fmt.Sprintf("user:%d", out.From.ID), map[string]any{
			"from_manager_id": out.From.ID, "from_manager": out.From.Login,
			"to_manager_id": out.To.ID, "to_manager": out.To.Login,
			"client_ids": out.ClientIDs, "clients": len(out.ClientIDs), "left_clients": out.Left, "all": r.All,
		}))
	})
	if err != nil {
		return Reassigned{}, err
	}
	return out, nil
}

// lockManager reads and locks manager id of branch; pgx.ErrNoRows when id is
// not one.
func lockManager(ctx context.Context, tx pgx.Tx, id, branchID int64) (m Manager, active, isManager bool, err error) {
	if id == 0 {
		return Manager{}, false, false, pgx.ErrNoRows
	}
	err = tx.QueryRow(ctx, reassignQueries.Get("reassign-manager"), id, branchID).Scan(&m.ID, &m.Name, &m.Login, &active, &isManager)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("manager %d: %w", id, err)
	}
	return m, active, isManager, err
}

func lockClients(ctx context.Context, tx pgx.Tx, query string, args []any) ([]lockedClient, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("lock clients: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lockedClient, error) {
		var c lockedClient
		return c, r.Scan(&c.id, &c.managerID, &c.name, &c.left)
	})
	if err != nil {
		return nil, fmt.Errorf("lock clients: %w", err)
	}
	return out, nil
}
