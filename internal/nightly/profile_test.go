package nightly

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/triggers"
)

// retailSegment adds ten clients of one segment (Bank North / R1 / IND1 /
// 1-2 years) whose answer is known by reasoning. Monthly income, every month:
//
//	C10: CA 5000 + ACQ 4000 + FX 1000 = 10000   band A (best)
//	C09: CA 5500 + ACQ 3500           =  9000   band A (best)
//	C08: CA 5000 + ACQ 3000           =  8000   band B
//	C07: CA 5000 + ACQ 2000           =  7000   band B
//	C06: CA 5400 + FX 600             =  6000   band C
//	C05..C01: CA only, 5000 .. 1000             bands C, D, D, E, E
//
// So the best clients are C10 and C09: CA and ACQ are held by 100% of them,
// FX by 50% (at the default 0.5, in the ideal set), PAY by none. The ideal
// profitability is the median of 10000 and 9000: 9500. ACQ's value is the
// median of 4000, 3500, 3000 and 2000: 3250 a month, so 39000 a year,
// priority 39000; FX's is the median of 1000 and 600: 800, so 9600 a year,
// priority 4800.
func retailSegment(b *nightlytest.Bank) map[string]int64 {
	type spec struct {
		ref    string
		income map[string]int64
	}
	specs := []spec{
		{"C10", map[string]int64{"CA": 5000, "ACQ": 4000, "FX": 1000}},
		{"C09", map[string]int64{"CA": 5500, "ACQ": 3500}},
		{"C08", map[string]int64{"CA": 5000, "ACQ": 3000}},
		{"C07", map[string]int64{"CA": 5000, "ACQ": 2000}},
		{"C06", map[string]int64{"CA": 5400, "FX": 600}},
		{"C05", map[string]int64{"CA": 5000}},
		{"C04", map[string]int64{"CA": 4000}},
		{"C03", map[string]int64{"CA": 3000}},
		{"C02", map[string]int64{"CA": 2000}},
		{"C01", map[string]int64{"CA": 1000}},
	}
	ids := map[string]int64{}
	for _, s := range specs {
		var hs []nightlytest.Holding
		for p := range s.income {
			hs = append(hs, nightlytest.Holding{Product: p, Opened: since18})
		}
		ids[s.ref] = b.Add(nightlytest.Client{Ref: s.ref, Since: since18, Holdings: hs, Facts: nightlytest.Steady(s.income),
			Contacts: []time.Time{nightlytest.Day(2026, 10, 20)}})
	}
	return ids
}

func TestIdealProfileAndTriggers(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0")
	ids := retailSegment(b)
	run := runNightly(t, b)
	if run.Status != StatusSucceeded || !run.AsOf.Equal(nightlytest.AsOf) {
		t.Fatalf("run: %s as of %s", run.Status, run.AsOf)
	}
	ctx := context.Background()

	var segID int64
	var level, size, best int
	var ideal int64
	if err := b.Pool.QueryRow(ctx, `SELECT segment_id, level, size, best_clients, ideal_income FROM segment_profile`).
		Scan(&segID, &level, &size, &best, &ideal); err != nil {
		t.Fatal(err)
	}
	if level != 1 || size != 10 || best != 2 || ideal != 9500 {
		t.Errorf("segment: level %d, size %d, best %d, ideal %d; want 1, 10, 2, 9500", level, size, best, ideal)
	}

	prof, err := segments.Get(ctx, b.Pool, b.Risk, segID)
	if err != nil {
		t.Fatal(err)
	}
	if prof.Label != "Bank North / Region R1 / Industry IND1 / 1-2 years" {
		t.Errorf("label %q", prof.Label)
	}
	want := map[string]struct {
		adoption float64
		ideal    bool
		value    int64
	}{"CA": {1, true, 5000}, "ACQ": {1, true, 3250}, "FX": {0.5, true, 800}}
	if len(prof.Products) != len(want) {
		t.Errorf("products %d, want %d (PAY is held by nobody)", len(prof.Products), len(want))
	}
	for _, p := range prof.Products {
		w, ok := want[p.Code]
		if !ok || p.Adoption != w.adoption || p.InIdeal != w.ideal || p.Value != w.value {
			t.Errorf("%s: adoption %v ideal %v value %d; want %+v", p.Code, p.Adoption, p.InIdeal, p.Value, w)
		}
	}
	if len(prof.IdealSet) != 3 {
		t.Errorf("ideal set %d products, want CA, ACQ and FX", len(prof.IdealSet))
	}

	// Exactly the expected triggers: each client misses ACQ and FX unless it holds them.
	wantTriggers := map[string][]string{
		"C01": {"ACQ", "FX"}, "C02": {"ACQ", "FX"}, "C03": {"ACQ", "FX"}, "C04": {"ACQ", "FX"}, "C05": {"ACQ", "FX"},
		"C06": {"ACQ"}, "C07": {"FX"}, "C08": {"FX"}, "C09": {"FX"}, "C10": nil,
	}
	if n := count(t, b, `SELECT count(*) FROM cross_sell_trigger`); n != 14 {
		t.Errorf("%d triggers, want 14", n)
	}
	for ref, products := range wantTriggers {
		ts, err := triggers.ForClient(ctx, b.Pool, b.Manager1, ids[ref])
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tr := range ts {
			got = append(got, tr.ProductCode)
		}
		if strings.Join(got, ",") != strings.Join(products, ",") {
			t.Errorf("%s: triggers %v, want %v (highest priority first)", ref, got, products)
		}
	}
	ts, err := triggers.ForClient(ctx, b.Pool, b.Manager1, ids["C01"])
	if err != nil {
		t.Fatal(err)
	}
	acq, fx := ts[0], ts[1]
	if acq.ExpectedValue != 39000 || acq.Priority != 39000 || acq.Status != triggers.New || acq.Hidden {
		t.Errorf("ACQ trigger: value %d priority %d status %s hidden %v; want 39000, 39000, new, shown",
			acq.ExpectedValue, acq.Priority, acq.Status, acq.Hidden)
	}
	if fx.ExpectedValue != 9600 || fx.Priority != 4800 {
		t.Errorf("FX trigger: value %d priority %d; want 9600, 4800", fx.ExpectedValue, fx.Priority)
	}
	wantReason := "Product FX is held by 50% of the best clients in Bank North / Region R1 / Industry IND1 / 1-2 years (1 of 2); this client has none."
	if !strings.HasPrefix(fx.Reason, wantReason) || !strings.Contains(fx.Reason, "8 EUR a month (median of their average over the last 12 months): 96 EUR a year") ||
		!strings.HasSuffix(fx.Reason, "Priority 48 EUR = 96 EUR a year × 50% adoption.") {
		t.Errorf("FX reason %q", fx.Reason)
	}

	pic, err := cards.Picture(ctx, b.Pool, b.Manager1, ids["C01"])
	if err != nil {
		t.Fatal(err)
	}
	if pic.Profitability != 1000 || pic.ProfitBand != "E" || pic.IdealIncome != 9500 || pic.Gap != 8500 ||
		pic.Score != 11 || pic.Potential != 48600 || pic.Segment.Level != segments.LevelBankRegionIndustryTenure {
		t.Errorf("C01 picture: profitability %d band %s ideal %d gap %d score %d potential %d level %d; "+
			"want 1000 E 9500 8500 11 48600 1", pic.Profitability, pic.ProfitBand, pic.IdealIncome, pic.Gap, pic.Score,
			pic.Potential, pic.Segment.Level)
	}
	held := map[string]bool{}
	for _, it := range pic.Ideal {
		held[it.Code] = it.Held
	}
	if !held["CA"] || held["ACQ"] || held["FX"] || len(pic.Ideal) != 3 {
		t.Errorf("C01 ideal set against holdings: %v", held)
	}
}
