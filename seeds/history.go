package seeds

import (
	"context"
	"embed"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
)

//go:embed history.sql
var historySQL embed.FS

// SQL is the package's named queries, for the check at start.
// Its history statement calls a function its first statement creates, so it
// cannot be prepared on its own; the demo's tests run it.
var SQL = []db.File{{Path: "seeds/history.sql", Queries: db.MustLoadQueries(historySQL, "history.sql"),
	Unprepared: "its history statement calls the function its unit statement creates"}}

var historyQueries = SQL[0].Queries

// HistoryOptions shape the demo's trigger history.
type HistoryOptions struct {
	Seed uint64
	// LostReasons and DismissReasons are the reasons the trigger form offers
	// (without "Other", which needs a note).
	LostReasons, DismissReasons []string
}

// HistoryResult counts what History wrote.
type HistoryResult struct {
	Triggers int64 // closed triggers of the last 12 months
	Moved    int64 // open triggers moved along
}

// History writes a year of trigger history into a demo bank that has been
// through its first nightly run (it takes each client's segment from that
// run): triggers raised over the last 12 months, moved along as managers move
// them, with take-up in the data higher for shown triggers than for held-back
// ones, by product (see history.sql). One transaction; the next nightly run
// judges the triggers whose take-up window has passed.
func History(ctx context.Context, pool *pgxpool.Pool, o HistoryOptions) (HistoryResult, error) {
	var res HistoryResult
	seed := strconv.FormatUint(o.Seed, 10) + ":"
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var scored bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM client_score)`).Scan(&scored); err != nil {
			return err
		}
		if !scored {
			return fmt.Errorf("the demo bank has not been through a nightly run: the history needs its segments")
		}
		if _, err := tx.Exec(ctx, historyQueries.Get("unit")); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		tag, err := tx.Exec(ctx, historyQueries.Get("history"), o.LostReasons, o.DismissReasons, seed)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		res.Triggers = tag.RowsAffected()
		if tag, err = tx.Exec(ctx, historyQueries.Get("move-open"), seed); err != nil {
			return fmt.Errorf("history: move open triggers: %w", err)
		}
		res.Moved = tag.RowsAffected()
		return nil
	})
	return res, err
}

// Story brings a freshly loaded demo bank to life: run scores it (a nightly
// run), History writes the year of trigger history that run makes possible,
// and run again judges the triggers whose window has passed, so that the
// pipeline and the effectiveness page have something to show from the start.
func Story(ctx context.Context, pool *pgxpool.Pool, o HistoryOptions, run func(context.Context) error) (HistoryResult, error) {
	if err := run(ctx); err != nil {
		return HistoryResult{}, err
	}
	o.LostReasons, o.DismissReasons = withoutOther(o.LostReasons), withoutOther(o.DismissReasons)
	res, err := History(ctx, pool, o)
	if err != nil {
		return res, err
	}
	return res, run(ctx)
}

// withoutOther leaves out "Other", which the form takes only with a note.
func withoutOther(reasons []string) []string {
	var out []string
	for _, r := range reasons {
		if r != "Other" {
			out = append(out, r)
		}
	}
	return out
}
