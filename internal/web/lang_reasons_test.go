package web_test

import (
	"context"
	"html"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/reasons"
	"github.com/relaycrm/relay/internal/warnings"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// said is one stored "why" a page may show: a trigger's reason or a
// warning's signal, with the sentence it reads as in each language.
type said map[i18n.Locale]string

// storedSaid renders, in every language, the reasons of the open triggers
// and the fired signals (with their names) of the warnings of client ids.
func storedSaid(t *testing.T, srv *webtest.Server, ids []int64) []said {
	t.Helper()
	rows, err := srv.Pool.Query(context.Background(), `
		SELECT t.reason_key, t.reason_args, b.currency, b.minor_digits
		FROM cross_sell_trigger t JOIN client c ON c.id = t.client_id JOIN bank b ON b.id = c.bank_id
		WHERE t.client_id = ANY($1) AND t.reason_key IS NOT NULL AND t.status IN ('new', 'contacted', 'offered')
		  AND NOT t.hidden
		UNION ALL
		SELECT x.name, x.f, b.currency, b.minor_digits
		FROM client_warning w JOIN bank b ON b.id = w.bank_id
		CROSS JOIN LATERAL (VALUES ('turnover', w.turnover_figures, w.turnover_fired),
		                           ('balance', w.balance_figures, w.balance_fired),
		                           ('transactions', w.tx_figures, w.tx_fired),
		                           ('product_closed', w.closed_figures, w.closed_fired),
		                           ('income_falling', w.income_figures, w.income_fired),
		                           ('lifetime', w.lifetime_figures, w.lifetime_fired),
		                           ('no_contact', w.contact_figures, w.contact_fired)) AS x(name, f, fired)
		WHERE w.client_id = ANY($1) AND x.fired`, ids)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []said
	for rows.Next() {
		var key string
		var args []byte
		var cur reasons.Currency
		if err := rows.Scan(&key, &args, &cur.Code, &cur.MinorDigits); err != nil {
			t.Fatal(err)
		}
		s := said{}
		for _, l := range i18n.Locales {
			var text string
			if strings.HasPrefix(key, "trigger.") {
				text, err = reasons.Text(l, reasons.Reason{Key: key, Args: args}, cur)
			} else {
				text, err = reasons.Signal(l, args, cur)
				// the name beside it, as the churn list and the card show it
				s[l+"-label"] = warnings.SignalName(key).LabelIn(l)
			}
			if err != nil {
				t.Fatal(err)
			}
			s[l] = text
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReasonsAndSignalsInEachLanguage reads the pages that show why (the
// card of a warned client with open triggers, the churn list, the manager's
// worklist) in Bulgarian and Russian: each is in the language asked for,
// shows the reasons and signals of its clients in that language, with no
// sentence of theirs left in English and no message of the reasons,
// signals or inputs areas missing.
func TestReasonsAndSignalsInEachLanguage(t *testing.T) {
	t.Parallel()
	srv := churnServer(t)
	var client int64
	var manager string
	// the riskiest warned client with an open trigger, and its manager
	if err := srv.Pool.QueryRow(context.Background(), `
		SELECT w.client_id, u.login FROM client_warning w JOIN app_user u ON u.id = w.manager_id
		WHERE EXISTS (SELECT 1 FROM cross_sell_trigger t WHERE t.client_id = w.client_id AND NOT t.hidden
		                AND t.status = 'new' AND t.reason_key IS NOT NULL)
		ORDER BY w.probability DESC, w.client_id LIMIT 1`).Scan(&client, &manager); err != nil {
		t.Fatal(err)
	}
	var top []int64 // the first page of the churn list, riskiest first
	rows, err := srv.Pool.Query(context.Background(), `SELECT client_id FROM client_warning ORDER BY probability DESC, client_id LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		top = append(top, id)
	}
	rows.Close()

	pages := []struct {
		name, login, path string
		clients           []int64
	}{
		{"client card", riskLogin, "/clients/" + itoa(client), []int64{client}},
		{"churn list", riskLogin, "/churn", top},
		{"worklist", manager, "/worklist", []int64{client}},
	}
	for _, p := range pages {
		shown := storedSaid(t, srv, p.clients)
		if len(shown) == 0 {
			t.Fatalf("%s: no reason or signal to look for", p.name)
		}
		for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
			c := srv.NewClient(t)
			c.Lang = string(l)
			c.Login(p.login, seeds.DemoPassword)
			r := c.Get(p.path)
			if r.Status != 200 {
				t.Errorf("%s in %s: status %d", p.name, l, r.Status)
				continue
			}
			if !strings.Contains(r.Body, `<html lang="`+string(l)+`"`) {
				t.Errorf("%s in %s: the page is not in %s", p.name, l, l)
			}
			found := 0
			for _, s := range shown {
				if strings.Contains(r.Body, html.EscapeString(s[l])) {
					found++
					if lb := s[l+"-label"]; lb != "" && !strings.Contains(r.Body, html.EscapeString(lb)) {
						t.Errorf("%s in %s shows a signal without its name %q", p.name, l, lb)
					}
				}
				if en := s[i18n.English]; strings.Contains(r.Body, html.EscapeString(en)) {
					t.Errorf("%s in %s shows in English: %q", p.name, l, en)
				}
			}
			if found == 0 {
				t.Errorf("%s in %s shows none of its %d reasons and signals in %s, e.g. %q", p.name, l, len(shown), l,
					shown[0][l])
			}
		}
	}
	for _, m := range i18n.Missing() {
		for _, area := range []string{":reasons.", ":signals.", ":inputs."} {
			if strings.Contains(m, area) {
				t.Errorf("message missing: %s", m)
			}
		}
	}
}

// TestTakeupEvidenceAndOldReasonsOnTheCard: a client card with a take-up
// model's trigger shows the model's evidence (stored as input codes and
// figures since migration 00025) in the viewer's language, and a trigger
// raised before reasons were data (an English sentence, no key) as it is in
// English and after a note in Bulgarian and Russian.
func TestTakeupEvidenceAndOldReasonsOnTheCard(t *testing.T) {
	t.Parallel()
	srv := startScored(t)
	ctx := context.Background()
	var client, learned, old int64
	if err := srv.Pool.QueryRow(ctx, `
		SELECT client_id, min(id), max(id) FROM cross_sell_trigger
		WHERE NOT hidden AND status = 'new' GROUP BY client_id HAVING count(*) >= 2
		ORDER BY client_id LIMIT 1`).Scan(&client, &learned, &old); err != nil {
		t.Fatal(err)
	}
	const evidence = `[{"input": "turnover_3m", "value": 1234567, "contribution": 0.5878},
		{"input": "holds:ACQ", "product": "Acquiring", "value": 1, "contribution": 0.41},
		{"input": "tenure_months", "value": 14, "contribution": 0.2}]`
	const sentence = "Acquiring is held by 45% of the best clients in Bank North / Varna (9 of 20); this client has none."
	if _, err := srv.Pool.Exec(ctx, `
		UPDATE cross_sell_trigger SET reason_key = 'trigger.takeup-model', reason = '',
		       reason_args = jsonb_build_object('product', 'Leasing', 'probability', 0.1234, 'win_months', 6,
		           'model_id', 3, 'evidence', $2::jsonb, 'segment', 'S', 'adoption', 0.45, 'best_holders', 9,
		           'best_clients', 20, 'product_value', 999, 'expected_value', 11988, 'priority', 1479,
		           'income_weight', 1)
		WHERE id = $1`, learned, evidence); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Pool.Exec(ctx, `
		UPDATE cross_sell_trigger SET reason_key = NULL, reason_args = NULL, reason = $2 WHERE id = $1`,
		old, sentence); err != nil {
		t.Fatal(err)
	}
	var cur reasons.Currency
	if err := srv.Pool.QueryRow(ctx, `SELECT b.currency, b.minor_digits FROM client c JOIN bank b ON b.id = c.bank_id
		WHERE c.id = $1`, client).Scan(&cur.Code, &cur.MinorDigits); err != nil {
		t.Fatal(err)
	}
	var args []byte
	if err := srv.Pool.QueryRow(ctx, `SELECT reason_args FROM cross_sell_trigger WHERE id = $1`, learned).Scan(&args); err != nil {
		t.Fatal(err)
	}
	for _, l := range i18n.Locales {
		c := srv.NewClient(t)
		c.Lang = string(l)
		c.Login(riskLogin, seeds.DemoPassword)
		r := c.Get("/clients/" + itoa(client))
		if r.Status != 200 {
			t.Fatalf("card in %s: %d", l, r.Status)
		}
		want, err := reasons.Text(l, reasons.Reason{Key: "trigger.takeup-model", Args: args}, cur)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Body, html.EscapeString(want)) {
			t.Errorf("card in %s lacks the take-up reason %q", l, want)
		}
		ev := l.T("reasons.evidence.item", "Input", l.T("reasons.evidence.holds", "Product", "Acquiring"), "Odds", reasons.Figure(l, "1.5"))
		if !strings.Contains(r.Body, html.EscapeString(ev)) {
			t.Errorf("card in %s lacks the evidence %q", l, ev)
		}
		switch l {
		case i18n.English:
			if !strings.Contains(want, "The client's own evidence: turnover of ") || !strings.Contains(want, "holds Acquiring (odds ×1.5), a client for 14 months (odds ×1.2).") {
				t.Errorf("English evidence reads %q", want)
			}
			if !strings.Contains(r.Body, html.EscapeString(sentence)) {
				t.Errorf("the English card does not show the old sentence as it is")
			}
		default:
			if strings.Contains(want, "odds") || strings.Contains(want, "turnover") {
				t.Errorf("%s evidence left in English: %q", l, want)
			}
			if note := reasons.Legacy(l, sentence); note == sentence || !strings.Contains(r.Body, html.EscapeString(note)) {
				t.Errorf("card in %s does not show the old sentence after its note %q", l, note)
			}
		}
	}
}
