package cards_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/clients"
	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/demotest"
)

const demoClients = 2000 // the web tests' scored demo bank, so its template is shared

// viewerOf is the viewer of the user with login.
func viewerOf(t testing.TB, pool *pgxpool.Pool, login string) access.Viewer {
	t.Helper()
	var v access.Viewer
	var branch *int64
	if err := pool.QueryRow(context.Background(), `SELECT id, login, name, role, group_id, branch_id FROM app_user WHERE login = $1`,
		login).Scan(&v.UserID, &v.Login, &v.Name, &v.Role, &v.GroupID, &branch); err != nil {
		t.Fatal(err)
	}
	if branch != nil {
		v.BranchID = *branch
	}
	return v
}

// TestCardIsTheViewersCard reads one card whole as its manager, and as
// another branch's manager: not found, as the page answers.
func TestCardIsTheViewersCard(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, demoClients)
	ctx := context.Background()
	mgr := viewerOf(t, pool, "mgr.bn-sof-1.01")
	var id int64
	var other string
	if err := pool.QueryRow(ctx, `SELECT c.id, (SELECT u.login FROM app_user u WHERE u.role = 'manager' AND u.branch_id <> $2 ORDER BY u.id LIMIT 1)
		FROM client c JOIN cross_sell_trigger t ON t.client_id = c.id AND NOT t.hidden
		WHERE c.manager_id = $1 AND c.left_on IS NULL ORDER BY c.id LIMIT 1`, mgr.UserID, mgr.BranchID).Scan(&id, &other); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, notes, proactive)
		VALUES ($1, $2, 'call', $3, 'reached', 'the card reads this', true)`, id, mgr.UserID, dbtest.DemoNow.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	o := cards.Options{Now: dbtest.DemoNow, MaxProactive: 2, WatchFactor: 0.5}
	card, err := cards.Card(ctx, pool, mgr, id, o)
	if err != nil {
		t.Fatal(err)
	}
	if card.Client.ID != id || !card.Picture.Scored || len(card.Picture.Triggers) == 0 {
		t.Errorf("card of %d: client %d, scored %v, %d triggers; want the client, scored, with its triggers",
			id, card.Client.ID, card.Picture.Scored, len(card.Picture.Triggers))
	}
	if len(card.Contacts.Items) == 0 || card.Contacts.Items[0].Notes != "the card reads this" ||
		card.Contacts.Plan.ProactiveUsed < 1 || card.Contacts.Plan.Limit != 2 || card.WatchFactor != 0.5 {
		t.Errorf("contacts %+v, plan %+v: want the latest contact first and the plan counting it", card.Contacts.Items, card.Contacts.Plan)
	}
	if _, err := cards.Card(ctx, pool, viewerOf(t, pool, other), id, o); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another branch's manager reads the card: %v, want db.ErrNotFound", err)
	}
}

// BenchmarkCard reads a manager's client cards whole, in the read model's
// one read-only transaction, against the parts read one by one from the
// pool as the handler did before. It prints milliseconds per card.
func BenchmarkCard(b *testing.B) {
	pool := demotest.Scored(b, demoClients)
	ctx := context.Background()
	mgr := viewerOf(b, pool, "mgr.bn-sof-1.01")
	ctx = access.WithViewer(ctx, mgr)
	var ids []int64
	rows, err := pool.Query(ctx, `SELECT id FROM client WHERE manager_id = $1 ORDER BY id`, mgr.UserID)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	o := cards.Options{Now: dbtest.DemoNow, MaxProactive: 2}
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/card")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("read-model", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := cards.Card(ctx, pool, mgr, ids[i%len(ids)], o); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	b.Run("parts-one-by-one", func(b *testing.B) {
		cs, ks := clients.NewStore(pool), contacts.NewStore(pool)
		start := time.Now()
		for i := 0; i < b.N; i++ {
			id := ids[i%len(ids)]
			if _, err := cs.Card(ctx, mgr, id, o.Now); err != nil {
				b.Fatal(err)
			}
			if _, err := cards.Picture(ctx, pool, mgr, id); err != nil {
				b.Fatal(err)
			}
			if _, err := ks.ForClient(ctx, mgr, id, cards.ContactsShown); err != nil {
				b.Fatal(err)
			}
			if _, err := ks.PlanFor(ctx, mgr, id, o.Now, o.MaxProactive); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
}
