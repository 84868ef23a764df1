// Package contacts owns what managers did with clients: calls, meetings,
// emails and visits, their outcome, notes, an optional satisfaction score and
// the date of the next contact.
package contacts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/input"
)

// Kinds and Outcomes are the values a contact may take, in the order forms show them.
var (
	Kinds    = []Choice{{"call", "Call"}, {"meeting", "Meeting"}, {"email", "Email"}, {"visit", "Visit"}}
	Outcomes = []Choice{
		{"reached", "Reached"}, {"no_answer", "No answer"}, {"interested", "Interested"},
		{"not_interested", "Not interested"}, {"follow_up", "Follow up"}, {"complaint", "Complaint"},
	}
)

// Choice is a value and its label.
type Choice struct{ Value, Label string }

// LabelOf returns the label of value among choices, or value itself.
func LabelOf(choices []Choice, value string) string {
	for _, c := range choices {
		if c.Value == value {
			return c.Label
		}
	}
	return value
}

func valid(choices []Choice, v string) bool {
	for _, c := range choices {
		if c.Value == v {
			return true
		}
	}
	return false
}

// Contact is a recorded contact.
type Contact struct {
	ID            int64
	ClientID      int64
	UserID        int64
	User          string
	Kind          string
	HappenedAt    time.Time
	Outcome       string
	Notes         string
	Proactive     bool
	CSAT, NPS     *int
	NextContactOn *time.Time
}

// Form is a contact as typed into the form: text, so that it re-renders with
// what the user typed when something is wrong.
type Form struct {
	Kind, HappenedAt, Outcome, Notes, CSAT, NPS, NextContactOn string
	Proactive                                                  bool
}

// formTime is the layout of an HTML datetime-local input.
const formTime = "2006-01-02T15:04"

// NewForm is an empty form for a contact happening now.
func NewForm(now time.Time) Form {
	return Form{Kind: "call", Outcome: "reached", HappenedAt: now.Format(formTime), Proactive: true}
}

// Parse validates the form against the client's start date and now, and
// returns the contact or every problem by field.
func (f Form) Parse(since, now time.Time, loc *time.Location) (Contact, error) {
	errs := input.Errors{}
	c := Contact{Kind: f.Kind, Outcome: f.Outcome, Notes: strings.TrimSpace(f.Notes), Proactive: f.Proactive}
	if !valid(Kinds, f.Kind) {
		errs.Add("kind", "choose call, meeting, email or visit")
	}
	if !valid(Outcomes, f.Outcome) {
		errs.Add("outcome", "choose an outcome from the list")
	}
	at, err := time.ParseInLocation(formTime, strings.TrimSpace(f.HappenedAt), loc)
	switch {
	case strings.TrimSpace(f.HappenedAt) == "":
		errs.Add("happened_at", "say when the contact happened")
	case err != nil:
		errs.Add("happened_at", fmt.Sprintf("%q is not a date and time (YYYY-MM-DD HH:MM)", f.HappenedAt))
	case at.After(now.Add(5 * time.Minute)):
		errs.Add("happened_at", "a contact cannot be in the future")
	case at.Before(since):
		errs.Add("happened_at", "the client was not yet a client then (since "+since.Format("2006-01-02")+")")
	default:
		c.HappenedAt = at
	}
	if utf8.RuneCountInString(c.Notes) > 4000 {
		errs.Add("notes", fmt.Sprintf("notes are %d characters long; keep them under 4,000", utf8.RuneCountInString(c.Notes)))
	}
	if !utf8.ValidString(c.Notes) {
		errs.Add("notes", "notes contain characters that are not valid text")
	}
	score := func(field, s string, lo, hi int) *int {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			errs.Add(field, fmt.Sprintf("%q: give a whole number from %d to %d, or leave it empty", s, lo, hi))
			return nil
		}
		return &n
	}
	c.CSAT = score("csat", f.CSAT, 1, 5)
	c.NPS = score("nps", f.NPS, 0, 10)
	if s := strings.TrimSpace(f.NextContactOn); s != "" {
		d, err := time.ParseInLocation("2006-01-02", s, loc)
		switch {
		case err != nil:
			errs.Add("next_contact_on", fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s))
		case !c.HappenedAt.IsZero() && d.Before(c.HappenedAt.Truncate(24*time.Hour)):
			errs.Add("next_contact_on", "the next contact must come after this one")
		case d.After(now.AddDate(1, 0, 0)):
			errs.Add("next_contact_on", "plan the next contact within a year")
		default:
			c.NextContactOn = &d
		}
	}
	return c, errs.Err()
}

// Store reads and writes contacts.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store over pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ErrReadOnly is returned when the viewer's role may not record work on clients.
var ErrReadOnly = errors.New("your role can read clients but not record contacts")

// Create records c for client clientID as v, if v may see and work on the
// client, and writes it to the audit log in the same transaction.
func (s *Store) Create(ctx context.Context, v access.Viewer, clientID int64, c Contact, ip string) (Contact, error) {
	if !v.WritesClients() {
		return c, ErrReadOnly
	}
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		args := &db.Args{}
		vals := []string{args.Add(v.UserID), args.Add(c.Kind), args.Add(c.HappenedAt), args.Add(c.Outcome),
			args.Add(c.Notes), args.Add(c.Proactive), args.Add(c.CSAT), args.Add(c.NPS), args.Add(c.NextContactOn)}
		cid := args.Add(clientID)
		sql := fmt.Sprintf(`
			INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, notes, proactive, csat, nps, next_contact_on)
			SELECT c.id, %s FROM client c WHERE c.id = %s AND %s
			RETURNING id, client_id`, strings.Join(vals, ", "), cid, access.ClientScope(v, "c", args))
		if err := tx.QueryRow(ctx, sql, args.Values()...).Scan(&c.ID, &c.ClientID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("client %d: %w", clientID, db.ErrNotFound)
			}
			return fmt.Errorf("record contact: %w", err)
		}
		c.UserID, c.User = v.UserID, v.Name
		return audit.Record(ctx, tx, audit.Entry{
			UserID: v.UserID, Login: v.Login, IP: ip, Action: "contact.create",
			Object:  fmt.Sprintf("client:%d", clientID),
			Details: map[string]any{"contact_id": c.ID, "kind": c.Kind, "outcome": c.Outcome},
		})
	})
	return c, err
}

// ForClient returns the latest contacts with client clientID, if v may see it.
func (s *Store) ForClient(ctx context.Context, v access.Viewer, clientID int64, limit int) ([]Contact, error) {
	args := &db.Args{}
	id := args.Add(clientID)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`
		SELECT k.id, k.client_id, k.user_id, u.name, k.kind, k.happened_at, k.outcome, k.notes, k.proactive,
		       k.csat, k.nps, k.next_contact_on
		FROM contact k
		JOIN client c ON c.id = k.client_id
		JOIN app_user u ON u.id = k.user_id
		WHERE k.client_id = %s AND %s
		ORDER BY k.happened_at DESC, k.id DESC
		LIMIT %s`, id, access.ClientScope(v, "c", args), args.Add(limit)), args.Values()...)
	if err != nil {
		return nil, fmt.Errorf("contacts of client %d: %w", clientID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contact, error) {
		var c Contact
		var csat, nps *int16
		err := r.Scan(&c.ID, &c.ClientID, &c.UserID, &c.User, &c.Kind, &c.HappenedAt, &c.Outcome, &c.Notes,
			&c.Proactive, &csat, &nps, &c.NextContactOn)
		if csat != nil {
			n := int(*csat)
			c.CSAT = &n
		}
		if nps != nil {
			n := int(*nps)
			c.NPS = &n
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("contacts of client %d: %w", clientID, err)
	}
	return out, nil
}
