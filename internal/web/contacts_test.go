package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/relaycrm/relay/seeds"
)

func TestContactIsValidatedAndRecorded(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	id := clientOf(t, srv, managerLogin)
	path := "/clients/" + id + "/contacts"
	count := func() int {
		var n int
		if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM contact WHERE client_id = $1::bigint`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	good := url.Values{"kind": {"meeting"}, "happened_at": {"2026-11-19T10:30"}, "outcome": {"interested"},
		"notes": {"Wants a quote for POS terminals."}, "csat": {"5"}, "next_contact_on": {"2026-12-01"}, "proactive": {"1"}}
	bad := []struct {
		name, field, value, says string
	}{
		{"no time", "happened_at", "", "say when the contact happened"},
		{"not a time", "happened_at", "yesterday", "is not a date and time"},
		{"in the future", "happened_at", "2026-12-25T10:00", "cannot be in the future"},
		{"before the client arrived", "happened_at", "1999-01-01T10:00", "was not yet a client"},
		{"unknown kind", "kind", "fax", "choose call, meeting, email or visit"},
		{"unknown outcome", "outcome", "maybe", "choose an outcome"},
		{"CSAT out of range", "csat", "9", "from 1 to 5"},
		{"NPS not a number", "nps", "ten", "from 0 to 10"},
		{"CSAT and NPS both", "nps", "7", "either a CSAT or an NPS score"},
		{"next contact before this one", "next_contact_on", "2026-11-01", "must come after this one"},
		{"next contact not a date", "next_contact_on", "soon", "is not a date"},
		{"notes too long", "notes", strings.Repeat("x", 4001), "keep them under 4,000"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range good {
				f[k] = v
			}
			f.Set(tc.field, tc.value)
			r := c.PostHTMX(path, f)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.Status)
			}
			if !strings.Contains(r.Body, `data-testid="error-`+tc.field+`"`) || !strings.Contains(r.Body, tc.says) {
				t.Errorf("no message %q beside %s", tc.says, tc.field)
			}
			// the form comes back with what was typed
			if tc.field != "notes" && tc.value != "" && !strings.Contains(r.Body, `value="`+tc.value+`"`) && tc.field != "kind" && tc.field != "outcome" {
				t.Errorf("the form lost the typed %s", tc.field)
			}
		})
	}
	if n := count(); n != before {
		t.Fatalf("refused contacts were written: %d new", n-before)
	}

	r := c.PostHTMX(path, good)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="contact-saved"`) {
		t.Fatalf("good contact: %d", r.Status)
	}
	if !strings.Contains(r.Body, "Wants a quote for POS terminals.") {
		t.Error("the new contact is not in the returned history")
	}
	if n := count(); n != before+1 {
		t.Fatalf("%d contacts written, want 1", n-before)
	}
	var kind, outcome, notes, next string
	var csat int
	var auditN int
	err := srv.Pool.QueryRow(context.Background(), `
		SELECT kind, outcome, notes, csat, next_contact_on::text,
		       (SELECT count(*) FROM audit_log WHERE action = 'contact.create' AND object = 'client:' || $1)
		FROM contact WHERE client_id = $1::bigint ORDER BY id DESC LIMIT 1`, id).Scan(&kind, &outcome, &notes, &csat, &next, &auditN)
	if err != nil {
		t.Fatal(err)
	}
	if kind != "meeting" || outcome != "interested" || csat != 5 || next != "2026-12-01" {
		t.Errorf("stored %s/%s/%d/%s", kind, outcome, csat, next)
	}
	if auditN != 1 {
		t.Errorf("audit log has %d contact entries, want 1", auditN)
	}

	// The contact plan (one proactive contact a month by default) refuses a
	// second proactive contact within the month, and says what to do.
	again := url.Values{}
	for k, v := range good {
		again[k] = v
	}
	again.Set("happened_at", "2026-11-20T09:00")
	r = c.PostHTMX(path, again)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="error-proactive"`) ||
		!strings.Contains(r.Body, "allows 1 proactive contact(s) a month") {
		t.Fatalf("second proactive contact in a month: %d", r.Status)
	}
	if n := count(); n != before+1 {
		t.Fatalf("the refused proactive contact was written")
	}
	card := c.Get("/clients/" + id)
	if !strings.Contains(card.Body, `data-testid="allowed-from">2026-12-19<`) {
		t.Error("the card does not say when the next proactive contact is allowed")
	}

	// A contact the client started always goes in. Without JavaScript the
	// form posts and redirects back to the card.
	again.Del("proactive")
	r = c.Post(path, again)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/clients/"+id) {
		t.Errorf("plain post: %d %q", r.Status, r.Location)
	}
}

// The card says where each contact came from: recorded in Relay, or brought
// by the feed from the bank's contact centre without a Relay user.
func TestCardShowsWhereEachContactCameFrom(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(managerLogin, seeds.DemoPassword)
	id := clientOf(t, srv, managerLogin)
	if _, err := srv.Pool.Exec(context.Background(), `
		INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, proactive, source, ref, topic, notes)
		VALUES ($1::bigint, NULL, 'call', now() - interval '1 day', 'complaint', false, 'contact-centre', 'CC-1', 'card fees',
		        'Charged twice for the card.')`, id); err != nil {
		t.Fatal(err)
	}
	card := c.Get("/clients/" + id)
	if card.Status != http.StatusOK {
		t.Fatalf("card: %d", card.Status)
	}
	i := strings.Index(card.Body, "Charged twice for the card.")
	if i < 0 {
		t.Fatal("the imported contact, which has no Relay user, is not on the card")
	}
	rest := card.Body[i:]
	meta := rest[:strings.Index(rest, "</li>")]
	if !strings.Contains(meta, "from contact-centre (imported)") || strings.Contains(meta, " by ") {
		t.Errorf("the imported contact does not say where it came from: %s", meta)
	}
	if !strings.Contains(card.Body, "recorded in Relay") {
		t.Error("no contact of the demo says it was recorded in Relay")
	}
}
