package imports

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/relaycrm/relay/internal/contacts"
	"github.com/relaycrm/relay/internal/input"
)

// contacts.csv brings a bank's contact history: from its old CRM, and the
// contact centre's interactions. Each contact is keyed by its client, the
// system it came from (source) and its id there (ref), so that a second
// import changes nothing. Contacts made in Relay (source "relay") are never
// changed by a feed.

// defaultSource names the system of a contact whose row leaves source empty.
const defaultSource = "feed"

var (
	sourcePattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,29}$`)
	contactRefPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:-]{0,59}$`)
)

// timestampLayouts are the forms a contact's time may take: ISO 8601, with
// or without seconds and a zone; without a zone it is the server's local time.
var timestampLayouts = []string{
	"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02",
}

// parseTimestamp reads an ISO 8601 date and time, e.g. 2025-03-14T09:30:00Z
// or 2025-03-14 09:30 (local time).
func parseTimestamp(s string, loc *time.Location) (time.Time, problem) {
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range timestampLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if t.Year() < minYear {
				return t, says("beforeyear", "Year", minYear)
			}
			return t, problem{}
		}
	}
	return time.Time{}, says("nottime")
}

// checkNotes checks free text that may hold line breaks: not too long, and
// no control character other than a line break or a tab.
func checkNotes(s string, maxRunes int) problem {
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return says("toolong", "Length", n, "Max", maxRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return says("controlnotes")
		}
	}
	return problem{}
}

// pgMicros is 2000-01-01T00:00:00Z in Unix microseconds: PostgreSQL's binary
// timestamps count from there.
var pgMicros = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

func (im *importer) readContacts(r *fileReader, cs *copyStream) {
	loc := im.opts.Location
	if loc == nil {
		loc = time.Local
	}
	kinds, outcomes := choiceWords(contacts.Kinds), choiceWords(contacts.Outcomes)
	tomorrow := im.today + 1
	im.startClientLookups()
	for r.next() {
		ci, _, kc := im.clientAt(r)
		source := strings.ToLower(r.get(r.c.source))
		ks := true
		if source == "" {
			source = defaultSource
		} else if !sourcePattern.MatchString(source) {
			r.fail(r.c.source, source, says("notsource"))
			ks = false
		}
		ref, kr := r.required(r.c.ref)
		if kr && !contactRefPattern.MatchString(ref) {
			r.fail(r.c.ref, ref, says("notcontactid"))
			kr = false
		}
		var at time.Time
		atv, kat := r.required(r.c.happenedAt)
		if kat {
			var msg problem
			if at, msg = parseTimestamp(atv, loc); !msg.found() {
				y, m, d := at.In(loc).Date()
				if day := daysFromCivil(y, int(m), d); day >= tomorrow {
					msg = says("future", "Today", im.today.String())
				}
			}
			if msg.found() {
				r.fail(r.c.happenedAt, atv, msg)
				kat = false
			}
		}
		kind, kk := r.required(r.c.contactKind)
		kind = strings.ToLower(kind)
		if kk && !kinds[kind] {
			r.fail(r.c.contactKind, kind, says("notkind"))
			kk = false
		}
		by, kb := r.required(r.c.startedBy)
		by = strings.ToLower(by)
		if kb && by != "bank" && by != "client" {
			r.fail(r.c.startedBy, by, says("notstartedby"))
			kb = false
		}
		outcome, ko := r.required(r.c.outcome)
		outcome = strings.ToLower(outcome)
		if ko && !outcomes[outcome] {
			r.fail(r.c.outcome, outcome, says("notoutcome"))
			ko = false
		}
		topic := r.get(r.c.topic)
		kt := true
		if topic != "" {
			if msg := checkText(topic, 100); msg.found() {
				r.fail(r.c.topic, topic, msg)
				kt = false
			}
		}
		notes := r.get(r.c.notes)
		kn := true
		if msg := checkNotes(notes, 4000); msg.found() {
			r.fail(r.c.notes, notes, msg)
			kn = false
		}
		var user int32
		ku := true
		if login := strings.ToLower(r.get(r.c.user)); login != "" {
			u := im.ref.managers[login]
			switch {
			case u == nil || u.foreign:
				r.fail(r.c.user, login, says("notuser"))
				ku = false
			case u.bad:
				ku = false
			default:
				user = u.id
			}
		}
		csat, kcs := im.score(r, r.c.csat, 1, 5)
		nps, knp := im.score(r, r.c.nps, 0, 10)
		if kcs && knp && csat >= 0 && nps >= 0 {
			r.fail(r.c.nps, r.get(r.c.nps), says("twoscores"))
			knp = false
		}
		if !kc {
			cs.stop()
			continue
		}
		c := &im.ref.clientList[ci]
		if kat {
			y, m, d := at.In(loc).Date()
			if daysFromCivil(y, int(m), d) < c.since {
				r.fail(r.c.happenedAt, atv, says("beforearrived", "Date", c.since.String()))
				kat = false
			}
		}
		if !(ks && kr && kat && kk && kb && ko && kt && kn && ku && kcs && knp) || im.bad() {
			cs.stop()
			continue
		}
		row := cs.row()
		row.int8(c.id)
		row.int4(int32(r.line))
		row.text(source)
		row.text(ref)
		row.timestamp(at.UnixMicro() - pgMicros)
		row.text(kind)
		row.bool(by == "bank")
		row.text(outcome)
		row.text(topic)
		row.text(notes)
		if user != 0 {
			row.int4(user)
		} else {
			row.null()
		}
		scoreField(&row, csat)
		scoreField(&row, nps)
		row.end()
	}
}

// score reads an optional satisfaction score from lo to hi; -1 when empty.
func (im *importer) score(r *fileReader, col column, lo, hi int) (int, bool) {
	v := r.get(col)
	if v == "" {
		return -1, true
	}
	n, ok := digitsOf(v)
	if !ok || n < lo || n > hi {
		r.fail(col, v, says("notscore", "Low", lo, "High", hi))
		return -1, false
	}
	return n, true
}

// scoreField writes a score, or null for none (-1).
func scoreField(row *binRow, n int) {
	if n < 0 {
		row.null()
		return
	}
	row.int2(int16(n))
}

func choiceWords(cs []input.Choice) map[string]bool {
	m := make(map[string]bool, len(cs))
	for _, c := range cs {
		m[c.Value] = true
	}
	return m
}

// checkContacts reports contacts that appear twice in the file: the same
// client, source and id.
func (im *importer) checkContacts(ctx context.Context, name string) error {
	rows, err := im.tx.Query(ctx, staging.Get("check-contact-duplicates"))
	if err != nil {
		return fmt.Errorf("check contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var line, first int
		var ref string
		if err := rows.Scan(&line, &first, &ref); err != nil {
			return fmt.Errorf("check contacts: %w", err)
		}
		im.errs.add(RowError{File: name, Line: line, Column: "ref", ColumnNumber: im.contactRefColumn, Value: ref}.of(
			says("contacttwice", "Line", first)))
	}
	return rows.Err()
}
