package imports

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/i18n"
)

var latinWord = regexp.MustCompile(`[A-Za-z]{4,}`)

// TestErrorsInEachLanguage: a rejected feed's errors are recorded with a key
// and values; read back, each says in English word for word what the command
// line printed, and in Bulgarian and Russian the same values in that
// language, with no English word of the sentence left (a nested message, the
// problem of an amount inside an income item, included). An error recorded
// before migration 00026 (no key) is shown as stored.
func TestErrorsInEachLanguage(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	loadReference(t, pool)
	feed := readFeed(t, exampleFeed)
	feed = edit(feed, "banks.csv", replace("DB,Dunarea Bank,RON,2", "DB,Dunarea Bank,RONN,2"))
	feed = edit(feed, "clients.csv", replace("2021-03-15", "2021-13-15"))
	feed = edit(feed, "monthly_facts.csv", replace("CA-MAIN=25.00", "CA-MAIN=25EUR"))
	res := importFeed(t, pool, feed)
	if res.Status != Rejected {
		t.Fatalf("status %s, want rejected", res.Status)
	}
	rec, err := Get(context.Background(), pool, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := map[string]bool{"notcurrency": false, "nomonth": false, "itemamount": false}
	for i, e := range rec.Errors {
		if e.Key == "" {
			t.Errorf("error %d has no key: %+v", i, e)
			continue
		}
		if _, ok := wantKeys[e.Key]; ok {
			wantKeys[e.Key] = true
		}
		if got := e.MessageIn(i18n.English); got != res.Errors[i].Message || got != e.Message {
			t.Errorf("%s in English: %q, the command line printed %q", e.Key, got, res.Errors[i].Message)
		}
		values := strings.Join(argValues(e.Args), " ")
		for _, l := range []i18n.Locale{i18n.Bulgarian, i18n.Russian} {
			said := e.MessageIn(l)
			if said == e.Message {
				t.Errorf("%s in %s is the English %q", e.Key, l, said)
			}
			for _, v := range argValues(e.Args) {
				if !strings.Contains(said, v) {
					t.Errorf("%s in %s: %q does not give %q", e.Key, l, said, v)
				}
			}
			for _, w := range latinWord.FindAllString(said, -1) {
				if strings.Contains(e.Message, w) && !strings.Contains(values, w) && w != "Relay" {
					t.Errorf("%s in %s: %q keeps the English word %q", e.Key, l, said, w)
				}
			}
		}
	}
	for k, seen := range wantKeys {
		if !seen {
			t.Errorf("no error %s among %+v", k, rec.Errors)
		}
	}

	// a record from before the migration: its sentence as stored
	if _, err := pool.Exec(context.Background(), `UPDATE feed_import SET errors = '[{"file": "clients.csv", "line": 3, "message": "an old sentence"}]' WHERE id = $1`, res.ID); err != nil {
		t.Fatal(err)
	}
	if rec, err = Get(context.Background(), pool, res.ID); err != nil {
		t.Fatal(err)
	}
	if got := rec.Errors[0].MessageIn(i18n.Bulgarian); got != "an old sentence" {
		t.Errorf("an old record in Bulgarian: %q, want its stored sentence", got)
	}
}

// argValues lists the plain values of args and of the messages nested in them.
func argValues(args map[string]any) []string {
	var out []string
	for _, v := range args {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			a, _ := v["args"].(map[string]any)
			out = append(out, argValues(a)...)
		}
	}
	return out
}
