package worklist_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/worklist"
)

// TestRetentionDisplacesOffers builds one segment of five clients of 1-2
// years. The best client, BEST, holds CA, ACQ (3000 a month) and FX (1000);
// the four others hold CA only (1000 a month), so each has an ACQ trigger
// (priority 36,000) and an FX one (12,000). CALM and FILL stay steady; WATCH's
// turnover falls to nothing in the last three months (a watch warning: score
// 52 with the published weights); HIGH's turnover and balance both do (a high
// warning). So the ranked list is HIGH's retention call, then the ACQ offers
// of CALM and FILL (36,000), WATCH's ACQ at half its priority (18,000), the
// FX offers of CALM and FILL (12,000) and WATCH's FX (6,000), while HIGH's two
// offers wait.
func TestRetentionDisplacesOffers(t *testing.T) {
	t.Parallel()
	b := nightlytest.New(t, dbtest.New(t))
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0")
	since := nightlytest.Day(2025, 4, 15)
	contact := []time.Time{time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)}
	fall := func(turnover, balance bool) func(time.Time) nightlytest.Fact {
		return func(m time.Time) nightlytest.Fact {
			f := nightlytest.Fact{Turnover: 100000, Balance: 100000, Tx: 1000, Income: map[string]int64{"CA": 1000}}
			if !m.Before(nightlytest.Month(2026, 8)) {
				if turnover {
					f.Turnover = 0
				}
				if balance {
					f.Balance = 0
				}
			}
			return f
		}
	}
	ca := []nightlytest.Holding{{Product: "CA", Opened: since}}
	b.Add(nightlytest.Client{Ref: "BEST", Since: since, Contacts: contact,
		Holdings: []nightlytest.Holding{{Product: "CA", Opened: since}, {Product: "ACQ", Opened: since}, {Product: "FX", Opened: since}},
		Facts:    nightlytest.Steady(map[string]int64{"CA": 5000, "ACQ": 3000, "FX": 1000})})
	ids := map[string]int64{}
	for _, c := range []struct {
		ref               string
		turnover, balance bool
	}{{"CALM", false, false}, {"FILL", false, false}, {"WATCH", true, false}, {"HIGH", true, true}} {
		ids[c.ref] = b.Add(nightlytest.Client{Ref: c.ref, Since: since, Contacts: contact, Holdings: ca, Facts: fall(c.turnover, c.balance)})
	}
	r := nightly.New(b.Pool, nightly.Options{Settings: b.Settings})
	defer r.Close()
	if _, err := r.Run(context.Background(), nightly.Request{AsOf: nightlytest.AsOf}); err != nil {
		t.Fatal(err)
	}
	names := map[int64]string{}
	for ref, id := range ids {
		names[id] = ref
	}
	describe := func(a worklist.Action) string {
		if a.Retention != nil {
			return "retain " + names[a.Retention.Warning.ClientID]
		}
		return fmt.Sprintf("%s %s %d", names[a.Offer.ClientID], a.Offer.ProductCode, a.Offer.Rank)
	}
	ctx := context.Background()
	var got []string
	for page := 1; page <= 3; page++ {
		today, err := worklist.Load(ctx, b.Pool, b.Manager1, worklist.Options{Page: page, PerPage: 3, WatchFactor: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if today.Total != 7 || today.Retentions != 1 || today.Waiting != 2 || today.Pages() != 3 {
			t.Errorf("page %d: %d actions, %d retention, %d waiting, %d pages; want 7, 1, 2, 3", page, today.Total,
				today.Retentions, today.Waiting, today.Pages())
		}
		for i, a := range today.Actions {
			if a.Position != (page-1)*3+i+1 {
				t.Errorf("action %q at position %d, want %d", describe(a), a.Position, (page-1)*3+i+1)
			}
			got = append(got, describe(a))
		}
		if page == 1 && len(today.Actions) > 0 && today.Actions[0].Retention != nil {
			ret := today.Actions[0].Retention
			var reasons, waiting []string
			for _, rs := range ret.Reasons {
				reasons = append(reasons, rs.Label)
			}
			for _, w := range ret.Waiting {
				waiting = append(waiting, w.ProductCode)
			}
			// the reasons are what raises the score most: the two falls first
			if ret.Warning.Level != "high" || ret.IncomeAtRisk != 12000 || len(reasons) < 2 ||
				strings.Join(reasons[:2], ", ") != "Turnover fall (signal strength), Balance fall (signal strength)" ||
				strings.Join(waiting, ", ") != "ACQ, FX" {
				t.Errorf("retention: level %s, income at risk %d, reasons %v, waiting %v; want high, 12000, turnover and balance, ACQ and FX",
					ret.Warning.Level, ret.IncomeAtRisk, reasons, waiting)
			}
		}
	}
	// CALM and FILL tie on priority: the older trigger first.
	first, second := "CALM", "FILL"
	if ids["FILL"] < ids["CALM"] {
		first, second = second, first
	}
	want := []string{"retain HIGH", first + " ACQ 36000", second + " ACQ 36000", "WATCH ACQ 18000",
		first + " FX 12000", second + " FX 12000", "WATCH FX 6000"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("actions:\n got %s\nwant %s", strings.Join(got, "; "), strings.Join(want, "; "))
	}

	// Another manager's list holds none of these clients.
	other, err := worklist.Load(ctx, b.Pool, b.Manager2, worklist.Options{Page: 1, PerPage: 3, WatchFactor: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if other.Total != 0 || len(other.Actions) != 0 || other.Waiting != 0 {
		t.Errorf("manager 2 sees %d actions, %d waiting; want none", other.Total, other.Waiting)
	}
}
