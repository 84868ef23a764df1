package warnings_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/warnings"
)

// TestEachIsTheListPageByPage: an export reads the rows in one goroutine
// and words them in others (eachOrdered); what it passes on is exactly what
// the list's pages show, row for row and word for word, for each role, for
// filters and sorts, in English and in Russian; and an error from the
// caller stops it there.
func TestEachIsTheListPageByPage(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	ctx := context.Background()
	risk, head, manager, bankID := busiestViewers(t, pool)
	for _, tc := range []struct {
		name   string
		v      access.Viewer
		filter warnings.ListFilter
		locale i18n.Locale
	}{
		{"risk, everything, riskiest first", risk, warnings.ListFilter{}, i18n.English},
		{"risk, everything, by name, in Russian", risk, warnings.ListFilter{Sort: "name"}, i18n.Russian},
		{"risk, one bank's high warnings by value at risk", risk, warnings.ListFilter{BankID: bankID, Level: warnings.High, Sort: "-clv"}, i18n.English},
		{"risk, turnover fell, oldest warning first", risk, warnings.ListFilter{Signal: warnings.Turnover, Sort: "since"}, i18n.Bulgarian},
		{"branch head, least risky first", head, warnings.ListFilter{Sort: "score"}, i18n.English},
		{"manager, by value at risk", manager, warnings.ListFilter{Sort: "clv"}, i18n.Russian},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := i18n.With(ctx, tc.locale)
			var want []warnings.Warning
			f := tc.filter
			for f.Page, f.PerPage = 1, warnings.MaxPerPage; ; f.Page++ {
				p, err := warnings.List(ctx, pool, tc.v, f)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, p.Warnings...)
				if f.Page >= p.Pages() {
					break
				}
			}
			if len(want) < 2 {
				t.Fatalf("the case lists %d warnings; pick another", len(want))
			}
			var got []warnings.Warning
			n, err := warnings.Each(ctx, pool, tc.v, tc.filter, func(w *warnings.Warning) error {
				got = append(got, *w)
				return nil
			})
			if err != nil || n != int64(len(want)) {
				t.Fatalf("Each: %d rows (%v), the list has %d", n, err, len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(nanSafe(got[i]), nanSafe(want[i])) {
					t.Fatalf("row %d: Each gave client %d %+v,\nthe list shows client %d %+v", i+1, got[i].ClientID, got[i],
						want[i].ClientID, want[i])
				}
			}

			// The caller's error stops the reading after the row it came from.
			stopAt := int64(len(want)) / 2
			stop := errors.New("enough")
			n, err = warnings.Each(ctx, pool, tc.v, tc.filter, func(*warnings.Warning) error {
				if stopAt == 0 {
					return stop
				}
				stopAt--
				return nil
			})
			if !errors.Is(err, stop) || n != int64(len(want))/2 {
				t.Errorf("stopped: %d rows (%v), want %d and the caller's error", n, err, len(want)/2)
			}
		})
	}
}

// nanSafe is w with its inputs' missing values (NaN, which equals
// nothing) made equal to each other.
// busiestViewers are the risk team, a branch head and a manager of the
// group, branch and manager with the most warnings on the bank in pool, and
// the bank with the most.
func busiestViewers(t *testing.T, pool *pgxpool.Pool) (risk, head, manager access.Viewer, bankID int64) {
	t.Helper()
	ctx := context.Background()
	risk.Role, head.Role, manager.Role = access.Risk, access.BranchHead, access.Manager
	if err := pool.QueryRow(ctx, `SELECT w.group_id, w.branch_id, w.manager_id FROM client_warning w
		GROUP BY 1, 2, 3 ORDER BY count(*) DESC, 3 LIMIT 1`).Scan(&risk.GroupID, &head.BranchID, &manager.UserID); err != nil {
		t.Fatal(err)
	}
	head.GroupID, manager.GroupID = risk.GroupID, risk.GroupID
	if err := pool.QueryRow(ctx, `SELECT bank_id FROM client_warning GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`).Scan(&bankID); err != nil {
		t.Fatal(err)
	}
	return risk, head, manager, bankID
}

func nanSafe(w warnings.Warning) warnings.Warning {
	w.Inputs = slices.Clone(w.Inputs)
	for i := range w.Inputs {
		if math.IsNaN(w.Inputs[i].Value) {
			w.Inputs[i].Value = math.Inf(-1)
		}
	}
	return w
}
