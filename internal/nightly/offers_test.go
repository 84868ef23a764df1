package nightly

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/triggers"
)

// sinceNew is 3 months of tenure at the end of 2026-10: band 0-6 months.
var sinceNew = nightlytest.Day(2026, 7, 10)

// youngAndOld builds a bank whose answer is known by reasoning, with the
// default profile rules (5 best clients, 3 best holders) and an ideal
// adoption of 40%. Every segment key holds at least segment.min_clients (5).
//
// Industry IND1, region R1: 25 clients of 1-2 years (C01..C25) and 6 of 0-6
// months (N1..N6). Old client k earns CA 300k a month; C19..C25 also hold
// ACQ, C23..C25 FX (800 a month) and C24, C25 PAY (500). ACQ brings C20..C25
// 2000 a month until 2026-06 and 1000 from 2026-07: an average of 1667 over
// the last 12 months (the as-of month alone would say 1000); C19 took it on
// 2026-05-01 and earns 600 a month since: its average since it took it is
// 600. The new clients earn CA 500.
//
//   - The old clients' segment (25 clients) has ceil(25/5) = 5 best clients,
//     C21..C25: enough for its own profile. PAY is held by 2 of them (40%, at
//     the adoption threshold) but by fewer than 3: not ideal. FX (3 of 5) is.
//   - The new clients' segment has no best client (none has 6 months), and
//     bank x industry x 0-6 months has none either, so it learns from bank x
//     industry: 31 clients, band A = ceil(31/5) = 7 (C19..C25), all old
//     enough. There ACQ is held by 7 of 7, FX by 3 of 7 (43%), PAY by 2 of 7.
//     ACQ's value is the median of 600 and six times 1667: 1667 a month,
//     20,004 a year, priority 20,004; FX's 800, 9,600 a year, priority
//     9,600 x 3/7 = 4,114.
//
// Industry IND2: 6 clients of 0-6 months (M1..M6) and no other: no segment
// of theirs at any level has a best client, so they have no ideal yet.
func youngAndOld(t *testing.T) (*nightlytest.Bank, map[string]int64) {
	b := newBank(t)
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0")
	b.Set("profile.min_best_clients", "5")
	b.Set("profile.min_best_holders", "3")
	b.Set("profile.ideal_adoption", "0.4")
	ids := map[string]int64{}
	contact := []time.Time{nightlytest.Day(2026, 10, 20)}
	for k := 1; k <= 25; k++ {
		k := k
		hs := []nightlytest.Holding{{Product: "CA", Opened: since18}}
		switch {
		case k == 19:
			hs = append(hs, nightlytest.Holding{Product: "ACQ", Opened: nightlytest.Day(2026, 5, 1)})
		case k >= 20:
			hs = append(hs, nightlytest.Holding{Product: "ACQ", Opened: since18})
		}
		if k >= 23 {
			hs = append(hs, nightlytest.Holding{Product: "FX", Opened: since18})
		}
		if k >= 24 {
			hs = append(hs, nightlytest.Holding{Product: "PAY", Opened: since18})
		}
		ref := fmt.Sprintf("C%02d", k)
		ids[ref] = b.Add(nightlytest.Client{Ref: ref, Since: since18, Holdings: hs, Contacts: contact,
			Facts: func(m time.Time) nightlytest.Fact {
				income := map[string]int64{"CA": int64(300 * k)}
				switch {
				case k == 19 && !m.Before(nightlytest.Month(2026, 5)):
					income["ACQ"] = 600
				case k >= 20 && m.Before(nightlytest.Month(2026, 7)):
					income["ACQ"] = 2000
				case k >= 20:
					income["ACQ"] = 1000
				}
				if k >= 23 {
					income["FX"] = 800
				}
				if k >= 24 {
					income["PAY"] = 500
				}
				return nightlytest.Fact{Turnover: 100000, Balance: 50000, Tx: 100, Income: income}
			}})
	}
	for _, ind := range []struct{ prefix, industry string }{{"N", "IND1"}, {"M", "IND2"}} {
		for k := 1; k <= 6; k++ {
			ref := fmt.Sprintf("%s%d", ind.prefix, k)
			ids[ref] = b.Add(nightlytest.Client{Ref: ref, Industry: ind.industry, Since: sinceNew, Contacts: contact,
				Holdings: []nightlytest.Holding{{Product: "CA", Opened: sinceNew}},
				Facts:    nightlytest.Steady(map[string]int64{"CA": 500})})
		}
	}
	return b, ids
}

// TestProfileBackOff checks that a 0-6 months segment takes its ideal
// profile from the first coarser segment with enough best clients, that a
// product needs profile.min_best_holders best holders, that value is the
// median of the holders' 12-month averages, and that a client with no
// learnable profile has no ideal, score or offers rather than a score of 100.
func TestProfileBackOff(t *testing.T) {
	t.Parallel()
	b, ids := youngAndOld(t)
	runNightly(t, b)
	ctx := context.Background()

	// A new client: its own segment has no best client, bank x industry has 7.
	n1, err := cards.Picture(ctx, b.Pool, b.Manager1, ids["N1"])
	if err != nil {
		t.Fatal(err)
	}
	if n1.Segment.Label != "Bank North / Region R1 / Industry IND1 / 0-6 months" || n1.BestClients != 0 {
		t.Errorf("N1 segment %q with %d best clients; want its own 0-6 months segment with none", n1.Segment.Label, n1.BestClients)
	}
	if !n1.HasIdeal || n1.Profile.Level != segments.LevelBankIndustry || n1.Profile.Label != "Bank North / Industry IND1" ||
		n1.ProfileBestClients != 7 {
		t.Fatalf("N1 profile: has %v, level %d %q, %d best; want bank x industry with 7", n1.HasIdeal, n1.Profile.Level,
			n1.Profile.Label, n1.ProfileBestClients)
	}
	var ideal int64
	if err := b.Pool.QueryRow(ctx, `SELECT ideal_income FROM segment_profile WHERE segment_id = $1`, n1.Profile.ID).Scan(&ideal); err != nil {
		t.Fatal(err)
	}
	if n1.IdealIncome != ideal || n1.Gap != ideal-500 || n1.Score != int((100*500+ideal/2)/ideal) {
		t.Errorf("N1 ideal %d gap %d score %d; want the profile's ideal %d, its gap and score", n1.IdealIncome, n1.Gap, n1.Score, ideal)
	}
	var got []string
	for _, tr := range n1.Triggers {
		got = append(got, fmt.Sprintf("%s %d/%d/%d", tr.ProductCode, tr.ProductValue, tr.ExpectedValue, tr.Priority))
	}
	if strings.Join(got, ", ") != "ACQ 1667/20004/20004, FX 800/9600/4114" {
		t.Errorf("N1 triggers %v; want ACQ 1667/20004/20004, FX 800/9600/4114 (value/expected/priority)", got)
	}
	if len(n1.Triggers) > 0 {
		want := "learned there because its own segment, Bank North / Region R1 / Industry IND1 / 0-6 months, has 0 best clients, too few to learn from"
		if r := n1.Triggers[0].Reason; !strings.Contains(r, "best clients in Bank North / Industry IND1 (7 of 7)") || !strings.Contains(r, want) {
			t.Errorf("N1 ACQ reason %q", r)
		}
		if n1.Triggers[0].SegmentID != n1.Profile.ID {
			t.Errorf("N1 ACQ trigger learned from segment %d, want the profile's %d", n1.Triggers[0].SegmentID, n1.Profile.ID)
		}
	}

	// An old client: its own segment's profile, PAY below the best holders.
	c19, err := cards.Picture(ctx, b.Pool, b.Manager1, ids["C19"])
	if err != nil {
		t.Fatal(err)
	}
	if !c19.HasIdeal || c19.Profile.ID != c19.Segment.ID || c19.BestClients != 5 {
		t.Errorf("C19: profile %d of segment %d with %d best; want its own with 5", c19.Profile.ID, c19.Segment.ID, c19.BestClients)
	}
	items := map[string]segments.IdealItem{}
	for _, it := range c19.Ideal {
		items[it.Code] = it
	}
	if _, ok := items["PAY"]; ok || len(items) != 3 {
		t.Errorf("C19 ideal set %v; want CA, ACQ and FX: PAY has 2 best holders, fewer than 3", items)
	}
	if acq := items["ACQ"]; !acq.Held || acq.ClientIncome != 600 || acq.Value != 1667 {
		t.Errorf("C19 ACQ: held %v, income %d, value %d; want held, 600 a month since it took it, value 1667", acq.Held, acq.ClientIncome, acq.Value)
	}
	var payAdoption float64
	var payIdeal bool
	if err := b.Pool.QueryRow(ctx, `SELECT adoption, in_ideal FROM segment_product WHERE segment_id = $1 AND product_id = $2`,
		c19.Segment.ID, b.Product["PAY"]).Scan(&payAdoption, &payIdeal); err != nil {
		t.Fatal(err)
	}
	if payAdoption != 0.4 || payIdeal {
		t.Errorf("PAY in the old segment: adoption %v, ideal %v; want 0.4, not ideal", payAdoption, payIdeal)
	}

	// A client of an industry with only new clients: no ideal yet.
	m1, err := cards.Picture(ctx, b.Pool, b.Manager1, ids["M1"])
	if err != nil {
		t.Fatal(err)
	}
	if m1.HasIdeal || m1.Score != 0 || len(m1.Ideal) != 0 || len(m1.Triggers) != 0 {
		t.Errorf("M1: has ideal %v, score %d, %d ideal products, %d triggers; want no ideal, no offers", m1.HasIdeal, m1.Score,
			len(m1.Ideal), len(m1.Triggers))
	}
	if n := count(t, b, `SELECT count(*) FROM client_score WHERE score IS NULL AND ideal_income IS NULL AND profile_segment_id IS NULL`); n != 6 {
		t.Errorf("%d clients without an ideal, want the 6 of IND2", n)
	}
	if n := count(t, b, `SELECT count(*) FROM client_score WHERE score = 100 AND coalesce(ideal_income, 0) = 0`); n != 0 {
		t.Errorf("%d clients at score 100 for want of an ideal", n)
	}
	if n := count(t, b, `SELECT count(*) FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id WHERE c.ref LIKE 'N%'`); n != 12 {
		t.Errorf("%d triggers for the six new clients of IND1, want 12 (ACQ and FX each)", n)
	}
}

// TestFeeIncomeFirst checks that interest income weighs
// trigger.interest_weight in the priority and says so, and that a family
// left out of triggers raises none and its open triggers expire.
func TestFeeIncomeFirst(t *testing.T) {
	t.Parallel()
	b, ids := youngAndOld(t)
	b.Exec(`UPDATE product SET income_kind = 'interest' WHERE code = 'ACQ'`)
	b.Set("trigger.interest_weight", "0.1")
	runNightly(t, b)
	ctx := context.Background()
	ts, err := triggers.ForClient(ctx, b.Pool, b.Manager1, ids["N1"])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range ts {
		got = append(got, fmt.Sprintf("%s %d", tr.ProductCode, tr.Priority))
	}
	// ACQ: 20,004 x 1 x 0.1 = 2,000; FX (fee) keeps 4,114 and comes first.
	if strings.Join(got, ", ") != "FX 4114, ACQ 2000" {
		t.Fatalf("N1 triggers by priority %v; want FX 4114, ACQ 2000", got)
	}
	if r := ts[1].Reason; !strings.HasSuffix(r, "Priority 20 EUR = 200 EUR a year × 100% adoption × 0.1 for interest income (fee income counts in full).") {
		t.Errorf("ACQ reason %q", r)
	}

	b.Set("trigger.excluded_families", "fx")
	runNightly(t, b)
	ts, err = triggers.ForClient(ctx, b.Pool, b.Manager1, ids["N1"])
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.ProductCode == "FX" && (tr.Status != triggers.Expired || !strings.HasPrefix(tr.StatusReason, "The product's family is left out of triggers")) {
			t.Errorf("FX trigger with FX left out: %s %q; want expired, saying why", tr.Status, tr.StatusReason)
		}
	}
	if n := count(t, b, `SELECT count(*) FROM cross_sell_trigger t JOIN product p ON p.id = t.product_id
		WHERE p.code = 'FX' AND t.status IN ('new', 'contacted', 'offered')`); n != 0 {
		t.Errorf("%d open FX triggers with the family left out", n)
	}
}

// TestTakeUpFactorAndEffect writes a hand-built history: ten ACQ triggers
// raised as of 2026-03 in one segment, whose 6-month window has passed by
// 2026-10. T1..T5 took ACQ on 2026-05-15 (300 a month from May: 1,500 over
// the window); T6..T10 did not. Shown: T1-T4, T6, T7 (4 of 6 taken); held
// back: T5, T8, T9, T10 (1 of 4). Ten clients of the same segment without a
// trigger, U1..U10, lacked ACQ at the start of the base window (2026-05): U1
// and U2 took it on 2026-06-10. So take-up is 5 of 10 against a base rate of
// 2 of 10: a factor of 2.5, which joins the priority of the new ACQ triggers.
// Shown against held back: income per shown trigger 4 x 1,500 / 6 = 1,000,
// per held-back one 1,500 / 4 = 375: showing added 625 x 6 = 3,750.
func TestTakeUpFactorAndEffect(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("segment.min_clients", "5")
	b.Set("trigger.control_share", "0")
	b.Set("trigger.takeup_min_cases", "4")
	contact := []time.Time{nightlytest.Day(2026, 10, 20)}
	ids := map[string]int64{}
	for k := 1; k <= 3; k++ {
		ref := fmt.Sprintf("B%d", k)
		ids[ref] = b.Add(nightlytest.Client{Ref: ref, Since: since18, Contacts: contact,
			Holdings: []nightlytest.Holding{{Product: "CA", Opened: since18}, {Product: "ACQ", Opened: since18}},
			Facts:    nightlytest.Steady(map[string]int64{"CA": 5000, "ACQ": 3000})})
	}
	took := func(prefix string, k int) bool { return k <= map[string]int{"T": 5, "U": 2}[prefix] }
	for _, prefix := range []string{"T", "U"} {
		opened := map[string]time.Time{"T": nightlytest.Day(2026, 5, 15), "U": nightlytest.Day(2026, 6, 10)}[prefix]
		for k := 1; k <= 10; k++ {
			ref := fmt.Sprintf("%s%d", prefix, k)
			hs := []nightlytest.Holding{{Product: "CA", Opened: since18}}
			if took(prefix, k) {
				hs = append(hs, nightlytest.Holding{Product: "ACQ", Opened: opened})
			}
			takes := took(prefix, k)
			ids[ref] = b.Add(nightlytest.Client{Ref: ref, Since: since18, Contacts: contact, Holdings: hs,
				Facts: func(m time.Time) nightlytest.Fact {
					income := map[string]int64{"CA": 1000}
					if takes && !m.Before(nightlytest.Month(opened.Year(), opened.Month())) {
						income["ACQ"] = 300
					}
					return nightlytest.Fact{Turnover: 100000, Balance: 50000, Tx: 100, Income: income}
				}})
		}
	}
	// A first run registers the segment; its triggers make way for the history.
	runNightly(t, b)
	b.Exec(`DELETE FROM cross_sell_trigger`)
	hidden := map[int]bool{5: true, 8: true, 9: true, 10: true}
	for k := 1; k <= 10; k++ {
		b.Exec(`INSERT INTO cross_sell_trigger (client_id, product_id, segment_id, status, status_reason, hidden, expected_value,
				priority, adoption, product_value, best_clients, best_holders, reason, raised_as_of, raised_at, status_changed_at, closed_at)
			SELECT $1, $2, cs.segment_id, 'expired', 'history', $3, 3600, 3600, 1, 300, 5, 5, 'history', '2026-03-01',
			       '2026-04-02', '2026-05-01', '2026-05-01'
			FROM client_score cs WHERE cs.client_id = $1`, ids[fmt.Sprintf("T%d", k)], b.Product["ACQ"], hidden[k])
	}
	runNightly(t, b)
	ctx := context.Background()

	var triggersN, taken, base, baseTaken int
	var factor *float64
	if err := b.Pool.QueryRow(ctx, `SELECT triggers, taken, base_clients, base_taken, factor FROM trigger_takeup
		WHERE product_id = $1 AND level = 1`, b.Product["ACQ"]).Scan(&triggersN, &taken, &base, &baseTaken, &factor); err != nil {
		t.Fatal(err)
	}
	if triggersN != 10 || taken != 5 || base != 10 || baseTaken != 2 || factor == nil || *factor != 2.5 {
		t.Errorf("ACQ take-up: %d of %d triggers, %d of %d without, factor %v; want 5 of 10, 2 of 10, 2.5", taken, triggersN,
			baseTaken, base, factor)
	}
	u3, err := triggers.ForClient(ctx, b.Pool, b.Manager1, ids["U3"])
	if err != nil {
		t.Fatal(err)
	}
	if len(u3) != 1 || u3[0].ProductCode != "ACQ" || u3[0].Priority != int64(math.Round(float64(u3[0].ExpectedValue)*u3[0].Adoption*2.5)) ||
		!strings.Contains(u3[0].Reason, "× 2.5 take-up: 5 of 10 past triggers for it were taken within 6 months (50.0%), against 2 of 10 clients without one (20.0%)") {
		t.Errorf("U3's triggers %+v; want ACQ at expected value x adoption x 2.5, saying why", u3)
	}
	var judged, takenOn, income int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE outcome_as_of = '2026-10-01'),
		count(*) FILTER (WHERE taken_on = '2026-05-15'), coalesce(sum(income_after), 0)
		FROM cross_sell_trigger WHERE reason = 'history'`).Scan(&judged, &takenOn, &income); err != nil {
		t.Fatal(err)
	}
	if judged != 10 || takenOn != 5 || income != 5*1500 {
		t.Errorf("outcomes: %d judged, %d taken on 2026-05-15, income after %d; want 10, 5, 7500", judged, takenOn, income)
	}

	e, err := triggers.Effectiveness(ctx, b.Pool, b.Risk, triggers.EffectFilter{BankID: b.BankID, MinCases: 3, WindowMonths: 6})
	if err != nil {
		t.Fatal(err)
	}
	tot := e.Total
	if tot.Shown != (triggers.Proportion{K: 4, N: 6}) || tot.HeldBack != (triggers.Proportion{K: 1, N: 4}) || !tot.Enough ||
		tot.IncomeAdded != 3750 || tot.Uplift != triggers.NewcombeUplift(tot.Shown, tot.HeldBack) {
		t.Errorf("effect: shown %+v, held back %+v, enough %v, income added %d; want 4 of 6, 1 of 4, yes, 3750",
			tot.Shown, tot.HeldBack, tot.Enough, tot.IncomeAdded)
	}
	if len(e.Rows) != 2 || e.Rows[0].Level != 0 || e.Rows[1].Level != 1 || !e.From.Equal(nightlytest.Month(2026, 3)) {
		t.Errorf("rows %+v from %s; want ACQ at every level, then at level 1, raised from 2026-03", e.Rows, e.From)
	}
	// Expected 3,600 a year per taken trigger; 1,500 over 6 months is 3,000 a year.
	if r := e.Rows[0]; r.ExpectedYearly() != 3600 || r.RealisedYearly(6) != 3000 {
		t.Errorf("expected %d, followed %d a year; want 3600, 3000", r.ExpectedYearly(), r.RealisedYearly(6))
	}
}
