package takeup_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/reasons"
	"github.com/relaycrm/relay/internal/settings"
	"github.com/relaycrm/relay/internal/takeup"
	"github.com/relaycrm/relay/internal/takeup/takeuptest"
)

func newWorld(t *testing.T, w takeuptest.World) *nightlytest.Bank {
	t.Helper()
	b := nightlytest.New(t, dbtest.New(t))
	w.Load(t, b)
	return b
}

// bankOn is the hand-built bank (nightlytest.New) of a database cloned from a
// template that holds one: its pool and settings, for fits and runs (Set and
// Exec need a bank built in the test).
func bankOn(t *testing.T, pool *pgxpool.Pool) *nightlytest.Bank {
	t.Helper()
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	return &nightlytest.Bank{Pool: pool, GroupID: 1, BankID: 1, Settings: settings.NewStore(pool, g)}
}

// world is the template step (dbtest.Step) that generates the world w and
// loads it into a bank (nightlytest.New): the world is generated once per
// build of the code.
func world(t *testing.T, name string, w takeuptest.World) dbtest.Step {
	return dbtest.Step{Name: name, Build: func(_ context.Context, pool *pgxpool.Pool) error {
		w.Load(t, nightlytest.New(t, pool))
		return nil
	}}
}

// loaded is a bank holding the world w, cloned from a template that holds it
// (dbtest.NewChain): the world is generated once per build of the code.
func loaded(t *testing.T, name string, w takeuptest.World) *nightlytest.Bank {
	t.Helper()
	return bankOn(t, dbtest.NewChain(t, world(t, name, w)))
}

// fitted is a bank holding the world w and the take-up model fitted on it
// (takeup.Fit with the default request), cloned from a template that holds
// both, built on a copy of the schema's (dbtest.NewChain): the world is
// generated and the model fitted once per build of the code (a change to the
// generator, the fit, its SQL or the migrations fits again). The outcome is
// read back as stored: the fit's card (as Fit left it, with the banks that
// use it) and its bundle.
func fitted(t *testing.T, name string, w takeuptest.World) (*nightlytest.Bank, takeup.FitOutcome) {
	t.Helper()
	ctx := context.Background()
	b := bankOn(t, dbtest.NewChain(t, dbtest.Step{Name: name, Build: func(ctx context.Context, pool *pgxpool.Pool) error {
		b := nightlytest.New(t, pool)
		w.Load(t, b)
		_, err := takeup.Fit(ctx, pool, b.Settings, takeup.FitRequest{})
		return err
	}}))
	ms, err := takeup.Models(ctx, b.Pool, 1, nil, 2)
	if err != nil || len(ms) != 1 {
		t.Fatalf("the fitted take-up model: %d models (%v), want one", len(ms), err)
	}
	var file bytes.Buffer
	if err := takeup.Export(ctx, b.Pool, 1, ms[0].ID, &file); err != nil {
		t.Fatal(err)
	}
	bundle, err := takeup.Unmarshal(&file)
	if err != nil {
		t.Fatal(err)
	}
	bundle.Card = ms[0].Card
	return b, takeup.FitOutcome{ModelID: ms[0].ID, Bundle: bundle}
}

func fit(t *testing.T, b *nightlytest.Bank) takeup.FitOutcome {
	t.Helper()
	out, err := takeup.Fit(context.Background(), b.Pool, b.Settings, takeup.FitRequest{})
	if err != nil {
		t.Fatalf("fit: %v", err)
	}
	return out
}

func productCard(t *testing.T, c takeup.Card, code string) takeup.ProductCard {
	t.Helper()
	for _, p := range c.Products {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("no product %s on the card", code)
	return takeup.ProductCard{}
}

// productModel is the product's own model in a bundle.
func productModel(t *testing.T, b *takeup.Bundle, code string) model.Scorer {
	t.Helper()
	for _, p := range b.Products {
		if p.Code == code && len(p.Model) > 0 {
			m, err := model.Unmarshal(bytes.NewReader(p.Model))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("product %s has no model of its own", code)
	return nil
}

// TestFitFindsAPlantedLead plants one strong pattern, clients that hold P06
// take P07 far more often, in a world where nothing else leads to P07: the
// fit must find it, with the right sign, as P07's input of most weight.
func TestFitFindsAPlantedLead(t *testing.T) {
	if testing.Short() {
		t.Skip("fits models")
	}
	t.Parallel()
	_, out := fitted(t, "takeup-planted-lead", takeuptest.World{Seed: 11, Clients: 4000, Months: 17,
		Leads: []takeuptest.Lead{{From: "P06", To: "P07", Bonus: 3}}, Rate: 1.5, Appeal: 0.4})
	pc := productCard(t, out.Bundle.Card, "P07")
	if !pc.Learned || len(pc.Strongest) == 0 || pc.Strongest[0] != "holds Product P06" {
		t.Fatalf("P07's strongest inputs are %v (%s), want holding P06 first", pc.Strongest, pc.Why)
	}
	// the inputs are kept as codes too, said in the reader's language: in
	// English word for word the words the card keeps
	if en, want := pc.StrongestIn(i18n.English), strings.Join(pc.Strongest, ", "); en != want {
		t.Errorf("strongest inputs in English %q, the card's words %q", en, want)
	}
	for loc, holds := range map[i18n.Locale]string{i18n.Bulgarian: "има Product P06", i18n.Russian: "имеет Product P06"} {
		said := pc.StrongestIn(loc)
		if !strings.HasPrefix(said, holds) {
			t.Errorf("strongest inputs in %s %q, want %q first", loc, said, holds)
		}
		for _, in := range pc.StrongestInputs[1:] {
			if english := in.LabelIn(i18n.English); strings.Contains(said, english) {
				t.Errorf("strongest inputs in %s %q keep the English %q", loc, said, english)
			}
		}
	}
	m := productModel(t, out.Bundle, "P07")
	k := -1
	for i, in := range m.Inputs() {
		if in == "holds:P06" {
			k = i
		}
	}
	if k < 0 {
		t.Fatal("P07's model does not read holds:P06")
	}
	if d := m.Contribution(k, 1) - m.Contribution(k, 0); d < 1 {
		t.Errorf("holding P06 adds %.2f to P07's log-odds, want at least 1 (planted 3)", d)
	}
	// and it says so in words on an offer
	if out.Bundle.Card.Overall.Model.Lift10 <= out.Bundle.Card.Overall.Rule.Lift10 {
		t.Errorf("model lift %.2f does not beat the rule's %.2f", out.Bundle.Card.Overall.Model.Lift10,
			out.Bundle.Card.Overall.Rule.Lift10)
	}
}

// TestTooLittleHistoryKeepsTheRule: a bank of a few hundred clients has too
// few takers to learn from or to judge by; the ideal-set rule keeps ranking
// its offers, and the nightly run raises rule triggers as before.
func TestTooLittleHistoryKeepsTheRule(t *testing.T) {
	if testing.Short() {
		t.Skip("fits models")
	}
	t.Parallel()
	b := newWorld(t, takeuptest.World{Seed: 12, Clients: 150, Months: 17, Rate: 0.5})
	out := fit(t, b)
	for _, p := range out.Bundle.Card.Products {
		if p.Learned {
			t.Errorf("product %s learned from %d takers; want its popularity", p.Code, p.Takers)
		}
	}
	for _, r := range out.Bundle.Card.Banks {
		if r.Beats || r.Used {
			t.Errorf("bank %s uses the model on %d test takers: %s", r.Code, r.Test.Model.Positives, r.Why)
		}
	}
	var n int
	if err := b.Pool.QueryRow(context.Background(), `SELECT count(*) FROM bank_model WHERE purpose = 'takeup'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d banks use a take-up model (%v), want none", n, err)
	}
	run(t, b)
	var learned, rule int
	if err := b.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE probability IS NOT NULL),
		count(*) FILTER (WHERE probability IS NULL) FROM cross_sell_trigger`).Scan(&learned, &rule); err != nil {
		t.Fatal(err)
	}
	if learned != 0 || rule == 0 {
		t.Errorf("%d triggers by the model and %d by the rule, want none and some", learned, rule)
	}

	// a history shorter than a window and three months is refused outright
	short := nightlytest.New(t, dbtest.New(t))
	takeuptest.World{Seed: 13, Clients: 100, Months: 7}.Load(t, short)
	if _, err := takeup.Fit(context.Background(), short.Pool, short.Settings, takeup.FitRequest{}); !errors.Is(err, takeup.ErrNoHistory) {
		t.Errorf("fit on 7 months: %v, want ErrNoHistory", err)
	}
}

func run(t *testing.T, b *nightlytest.Bank) {
	t.Helper()
	r := nightly.New(b.Pool, nightly.Options{Settings: b.Settings})
	defer r.Close()
	if _, err := r.Run(context.Background(), nightly.Request{AsOf: nightlytest.AsOf}); err != nil {
		t.Fatalf("nightly run: %v", err)
	}
}

// TestHeldOutHalf fits on one half of a world's clients, carries the model
// to a second database holding the other half with export and import, and
// ranks that half's candidates with it: the shape of the check on real data
// (one bank, 24 products with opening dates, 17 months, a neutral fee). It
// must rank well beyond the ideal-set rule and popularity there, rank the
// same in both databases once carried, and raise triggers that carry their
// chance and their evidence.
func TestHeldOutHalf(t *testing.T) {
	if testing.Short() {
		t.Skip("fits models")
	}
	t.Parallel()
	ctx := context.Background()
	const n = 6000
	a, out := fitted(t, "takeup-held-out-fitted-half", takeuptest.World{Seed: 21, Clients: n, Months: 17})
	b := loaded(t, "takeup-held-out-other-half", takeuptest.World{Seed: 21, Clients: n, Months: 17, FirstRef: n})
	c := out.Bundle.Card
	t.Logf("fitted half, test months %v: model lift %.2f AUC %.3f; rule %.2f / %.3f; popularity %.2f / %.3f",
		c.TestedOn, c.Overall.Model.Lift10, c.Overall.Model.AUC, c.Overall.Rule.Lift10, c.Overall.Rule.AUC,
		c.Overall.Popularity.Lift10, c.Overall.Popularity.AUC)

	var file bytes.Buffer
	if err := takeup.Export(ctx, a.Pool, 1, out.ModelID, &file); err != nil {
		t.Fatal(err)
	}
	body := file.Bytes()
	imported, err := takeup.Import(ctx, b.Pool, bytes.NewReader(body), takeup.ImportRequest{Origin: "the other half"})
	if err != nil {
		t.Fatal(err)
	}
	test := monthsOf(t, c.TestedOn)
	held, err := takeup.Backtest(ctx, b.Pool, b.Settings, imported, test)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out half, %v: model lift %.2f AUC %.3f (%d candidates, %d taken); rule %.2f / %.3f; popularity %.2f / %.3f",
		c.TestedOn, held.Model.Lift10, held.Model.AUC, held.Model.Rows, held.Model.Positives, held.Rule.Lift10,
		held.Rule.AUC, held.Popularity.Lift10, held.Popularity.AUC)
	// The world's own oracle (its true hazards) reaches a lift of about 6.6
	// in these months, the rule about 2 and popularity about 2.5, as on the
	// real data the issue describes; the model reaches about 4.7.
	if held.Model.Lift10 < 4.2 {
		t.Errorf("held-out top-10%% lift %.2f, want 4.2 or more", held.Model.Lift10)
	}
	if held.Model.Lift10 < 2*held.Rule.Lift10 || held.Model.Lift10 < 1.6*held.Popularity.Lift10 {
		t.Errorf("held-out lift %.2f is not well beyond the rule's %.2f and popularity's %.2f", held.Model.Lift10,
			held.Rule.Lift10, held.Popularity.Lift10)
	}

	// carried back into the first database, the model ranks exactly as the
	// one fitted there
	again, err := takeup.Import(ctx, a.Pool, bytes.NewReader(body), takeup.ImportRequest{Origin: "a round trip"})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := takeup.Backtest(ctx, a.Pool, a.Settings, out.ModelID, test)
	if err != nil {
		t.Fatal(err)
	}
	round, err := takeup.Backtest(ctx, a.Pool, a.Settings, again, test)
	if err != nil {
		t.Fatal(err)
	}
	if orig.Model.AUC != round.Model.AUC || orig.Model.Lift10 != round.Model.Lift10 || orig.Model.Brier != round.Model.Brier {
		t.Errorf("the imported model ranks differently: AUC %v/%v lift %v/%v", orig.Model.AUC, round.Model.AUC,
			orig.Model.Lift10, round.Model.Lift10)
	}

	// the held-out bank's night: triggers go to the likeliest and most
	// valuable products, with their chance and the client's own evidence
	run(t, b)
	var learned, total int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE probability IS NOT NULL AND takeup_model_id = $1),
		count(*) FROM cross_sell_trigger`,
		imported).Scan(&learned, &total); err != nil {
		t.Fatal(err)
	}
	// one with the client's own evidence, stored as data (input codes and
	// figures) and written in words in the reader's language
	var said reasons.Reason
	var cur reasons.Currency
	if err := b.Pool.QueryRow(ctx, `SELECT t.reason_key, t.reason_args, b.currency, b.minor_digits
		FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id JOIN bank b ON b.id = c.bank_id
		WHERE jsonb_typeof(t.reason_args->'evidence') = 'array' AND jsonb_array_length(t.reason_args->'evidence') > 0
		ORDER BY t.id LIMIT 1`).Scan(&said.Key, &said.Args, &cur.Code, &cur.MinorDigits); err != nil {
		t.Fatalf("a learned trigger with the client's own evidence: %v", err)
	}
	reason, err := reasons.Text("en", said, cur)
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 || learned != total {
		t.Errorf("%d of %d triggers carry the imported model's chance", learned, total)
	}
	if !strings.Contains(reason, "chance") || !strings.Contains(reason, "odds ×") {
		t.Errorf("a learned trigger's reason does not give its chance and evidence: %q", reason)
	}
	for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
		local, err := reasons.Text(l, said, cur)
		if err != nil {
			t.Fatal(err)
		}
		if odds := strings.SplitAfter(l.T("reasons.evidence.item", "Input", "", "Odds", ""), "×")[0]; !strings.Contains(local, odds) ||
			strings.Contains(local, "odds") {
			t.Errorf("%s: a learned trigger's evidence is not in the language: %q", l, local)
		}
	}
	// the next night does not expire them for being outside the ideal set
	run(t, b)
	var expired int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM cross_sell_trigger WHERE status = 'expired'`).Scan(&expired); err != nil {
		t.Fatal(err)
	}
	if expired != 0 {
		t.Errorf("%d learned triggers expired on the next night", expired)
	}

	// and an analyst's export holds every candidate with its probability
	var csvOut bytes.Buffer
	rows, err := takeup.ExportOffers(ctx, b.Pool, b.Settings, &csvOut)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&csvOut).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows == 0 || len(recs) != rows+1 || recs[0][4] != "probability" {
		t.Fatalf("offers export: %d rows reported, %d records, header %v", rows, len(recs), recs[0])
	}
	for _, r := range recs[1:] {
		p, err := strconv.ParseFloat(r[4], 64)
		if err != nil || !(p >= 0 && p <= 1) || math.IsNaN(p) {
			t.Fatalf("offers export: probability %q in %v", r[4], r)
		}
	}
}

func monthsOf(t *testing.T, labels []string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, l := range labels {
		m, err := time.Parse("2006-01", l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}
