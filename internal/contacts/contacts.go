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
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

// Kinds and Outcomes are the values a contact may take, in the order forms show them.
var (
	Kinds    = []Choice{{Value: "call", Label: "Call"}, {Value: "meeting", Label: "Meeting"}, {Value: "email", Label: "Email"}, {Value: "visit", Label: "Visit"}}
	Outcomes = []Choice{
		{Value: "reached", Label: "Reached"}, {Value: "no_answer", Label: "No answer"}, {Value: "interested", Label: "Interested"},
		{Value: "not_interested", Label: "Not interested"}, {Value: "follow_up", Label: "Follow up"}, {Value: "complaint", Label: "Complaint"},
	}
)

// Choice is a value and its label.
type Choice = input.Choice

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
	// Source is where the contact was recorded: SourceRelay for one made
	// here, or the system a feed brought it from (an old CRM, the contact
	// centre).
	Source string
	Topic  string
}

// SourceRelay is the source of a contact made in Relay; the feed names the
// others (docs/import.md, contacts.csv).
const SourceRelay = "relay"

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
// returns the contact or every problem by field, in ctx's language.
func (f Form) Parse(ctx context.Context, since, now time.Time, loc *time.Location) (Contact, error) {
	errs := input.Errors{}
	c := Contact{Kind: f.Kind, Outcome: f.Outcome, Notes: strings.TrimSpace(f.Notes), Proactive: f.Proactive}
	if !input.IsChoice(Kinds, f.Kind) {
		errs.Add("kind", i18n.T(ctx, "card.v.kind"))
	}
	if !input.IsChoice(Outcomes, f.Outcome) {
		errs.Add("outcome", i18n.T(ctx, "card.v.outcome"))
	}
	at, err := time.ParseInLocation(formTime, strings.TrimSpace(f.HappenedAt), loc)
	switch {
	case strings.TrimSpace(f.HappenedAt) == "":
		errs.Add("happened_at", i18n.T(ctx, "card.v.nowhen"))
	case err != nil:
		errs.Add("happened_at", i18n.T(ctx, "card.v.badwhen", "Text", fmt.Sprintf("%q", f.HappenedAt)))
	case at.After(now.Add(5 * time.Minute)):
		errs.Add("happened_at", i18n.T(ctx, "card.v.future"))
	case at.Before(since):
		errs.Add("happened_at", i18n.T(ctx, "card.v.beforesince", "Since", i18n.Date(ctx, since)))
	default:
		c.HappenedAt = at
	}
	if utf8.RuneCountInString(c.Notes) > 4000 {
		errs.Add("notes", i18n.T(ctx, "card.v.longnotes", "Length", i18n.Int(ctx, int64(utf8.RuneCountInString(c.Notes))), "Max", i18n.Int(ctx, 4000)))
	}
	if !utf8.ValidString(c.Notes) {
		errs.Add("notes", i18n.T(ctx, "card.v.badnotes"))
	}
	score := func(field, s string, lo, hi int) *int {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			errs.Add(field, i18n.T(ctx, "card.v.score", "Text", fmt.Sprintf("%q", s), "Low", lo, "High", hi))
			return nil
		}
		return &n
	}
	c.CSAT = score("csat", f.CSAT, 1, 5)
	c.NPS = score("nps", f.NPS, 0, 10)
	if c.CSAT != nil && c.NPS != nil {
		// A contact records one satisfaction score: CSAT or NPS.
		errs.Add("nps", i18n.T(ctx, "card.v.both"))
		c.NPS = nil
	}
	if s := strings.TrimSpace(f.NextContactOn); s != "" {
		d, err := time.ParseInLocation("2006-01-02", s, loc)
		switch {
		case err != nil:
			errs.Add("next_contact_on", i18n.T(ctx, "card.v.baddate", "Text", fmt.Sprintf("%q", s)))
		case !c.HappenedAt.IsZero() && d.Before(c.HappenedAt.Truncate(24*time.Hour)):
			errs.Add("next_contact_on", i18n.T(ctx, "card.v.nextbefore"))
		case d.After(now.AddDate(1, 0, 0)):
			errs.Add("next_contact_on", i18n.T(ctx, "card.v.nextfar"))
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
var ErrReadOnly = access.Forbidden("your role can read clients but not record contacts")

// Create records c for client clientID as v, if v may see and work on the
// client, and writes it to the audit log in the same transaction. A proactive
// contact is refused when the client already had maxProactive of them within
// a month of it (the contact plan); a contact the client started always goes in.
func (s *Store) Create(ctx context.Context, v access.Viewer, clientID int64, c Contact, maxProactive int, ip string) (Contact, error) {
	if !v.WritesClients() {
		return c, ErrReadOnly
	}
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// Lock the client row (scoped, so an unseen client is not found) so
		// that two contacts recorded at once are counted against each other.
		lockArgs := &db.Args{}
		lockID := lockArgs.Add(clientID)
		var locked int64
		err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT c.id FROM client c WHERE c.id = %s AND %s FOR UPDATE`,
			lockID, access.ClientScope(v, "c", lockArgs)), lockArgs.Values()...).Scan(&locked)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("client %d: %w", clientID, db.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock client %d: %w", clientID, err)
		}
		if c.Proactive {
			if err := checkPlan(ctx, tx, clientID, c.HappenedAt, maxProactive); err != nil {
				return err
			}
		}
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

// checkPlan refuses a proactive contact at `at` when the client already had
// maxProactive proactive contacts within a month either side of it.
func checkPlan(ctx context.Context, tx pgx.Tx, clientID int64, at time.Time, maxProactive int) error {
	var n int
	var last *time.Time
	err := tx.QueryRow(ctx, `
		SELECT count(*), max(happened_at) FROM contact
		WHERE client_id = $1 AND proactive
		  AND happened_at > $2::timestamptz - interval '1 month' AND happened_at < $2::timestamptz + interval '1 month'`,
		clientID, at).Scan(&n, &last)
	if err != nil {
		return fmt.Errorf("contact plan: %w", err)
	}
	if n < maxProactive {
		return nil
	}
	latest := ""
	if last != nil {
		latest = i18n.Date(ctx, *last)
	}
	return input.Errors{"proactive": i18n.Plural(ctx, "card.v.plan", int64(maxProactive), "Had", i18n.Int(ctx, int64(n)),
		"Latest", latest)}
}

// Due is a client whose planned next contact has come, with when the contact
// plan next allows a proactive contact.
type Due struct {
	ClientID      int64
	LegalName     string
	LastContact   time.Time
	LastKind      string
	PlannedOn     time.Time
	AllowedFrom   time.Time // today when the plan allows a contact now
	ProactiveUsed int       // proactive contacts in the month before today
}

// DueContacts lists v's active clients whose planned next contact falls on or
// before until, the most overdue first.
func (s *Store) DueContacts(ctx context.Context, v access.Viewer, today, until time.Time, maxProactive, limit int) ([]Due, error) {
	return DueOf(ctx, s.pool, v, today, until, maxProactive, limit)
}

// DueOf is DueContacts over q.
func DueOf(ctx context.Context, q db.Querier, v access.Viewer, today, until time.Time, maxProactive, limit int) ([]Due, error) {
	args := &db.Args{}
	scope := access.ClientScope(v, "c", args)
	rows, err := q.Query(ctx, fmt.Sprintf(`
		SELECT c.id, c.legal_name, l.happened_at, l.kind, l.next_contact_on, p.used,
		       CASE WHEN p.used < %[1]s THEN %[2]s::date
		            ELSE greatest(%[2]s::date, (p.oldest + interval '1 month')::date) END
		FROM client c
		CROSS JOIN LATERAL (
		    SELECT k.happened_at, k.kind, k.next_contact_on FROM contact k
		    WHERE k.client_id = c.id ORDER BY k.happened_at DESC, k.id DESC LIMIT 1) l
		CROSS JOIN LATERAL (
		    SELECT count(*) AS used, min(k.happened_at) AS oldest FROM contact k
		    WHERE k.client_id = c.id AND k.proactive AND k.happened_at > %[2]s::date - interval '1 month') p
		WHERE %[3]s AND c.left_on IS NULL AND l.next_contact_on <= %[4]s
		ORDER BY l.next_contact_on, c.legal_name
		LIMIT %[5]s`,
		args.Add(maxProactive), args.Add(today), scope, args.Add(until), args.Add(limit)), args.Values()...)
	if err != nil {
		return nil, fmt.Errorf("contacts due: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Due, error) {
		var d Due
		return d, r.Scan(&d.ClientID, &d.LegalName, &d.LastContact, &d.LastKind, &d.PlannedOn, &d.ProactiveUsed, &d.AllowedFrom)
	})
	if err != nil {
		return nil, fmt.Errorf("contacts due: %w", err)
	}
	return out, nil
}

// PlanFor says when client clientID was last contacted, its planned next
// contact and when the plan next allows a proactive one.
func (s *Store) PlanFor(ctx context.Context, v access.Viewer, clientID int64, today time.Time, maxProactive int) (Plan, error) {
	return PlanOf(ctx, s.pool, v, clientID, today, maxProactive)
}

// PlanOf is PlanFor over q.
func PlanOf(ctx context.Context, q db.Querier, v access.Viewer, clientID int64, today time.Time, maxProactive int) (Plan, error) {
	args := &db.Args{}
	id := args.Add(clientID)
	var p Plan
	err := q.QueryRow(ctx, fmt.Sprintf(`
		SELECT (SELECT max(k.happened_at) FROM contact k WHERE k.client_id = c.id),
		       (SELECT k.next_contact_on FROM contact k WHERE k.client_id = c.id ORDER BY k.happened_at DESC, k.id DESC LIMIT 1),
		       count(k.*), min(k.happened_at)
		FROM client c
		LEFT JOIN contact k ON k.client_id = c.id AND k.proactive AND k.happened_at > %[2]s::date - interval '1 month'
		WHERE c.id = %[1]s AND %[3]s
		GROUP BY c.id`, id, args.Add(today), access.ClientScope(v, "c", args)), args.Values()...).
		Scan(&p.LastContact, &p.PlannedOn, &p.ProactiveUsed, &p.oldest)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("client %d: %w", clientID, db.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("contact plan of client %d: %w", clientID, err)
	}
	p.Limit = maxProactive
	p.AllowedFrom = today
	if p.ProactiveUsed >= maxProactive && p.oldest != nil {
		if next := p.oldest.AddDate(0, 1, 0); next.After(today) {
			p.AllowedFrom = next
		}
	}
	return p, nil
}

// Plan is a client's contact plan.
type Plan struct {
	LastContact   *time.Time
	PlannedOn     *time.Time
	ProactiveUsed int
	Limit         int
	AllowedFrom   time.Time
	oldest        *time.Time
}

// ForClient returns the latest contacts with client clientID, if v may see
// it, with where each was recorded.
func (s *Store) ForClient(ctx context.Context, v access.Viewer, clientID int64, limit int) ([]Contact, error) {
	return History(ctx, s.pool, v, clientID, limit)
}

// History returns the latest limit contacts with client clientID, if v may
// see it, newest first.
func History(ctx context.Context, q db.Querier, v access.Viewer, clientID int64, limit int) ([]Contact, error) {
	args := &db.Args{}
	id := args.Add(clientID)
	rows, err := q.Query(ctx, fmt.Sprintf(`
		SELECT k.id, k.client_id, coalesce(k.user_id, 0), coalesce(u.name, ''), k.kind, k.happened_at, k.outcome, k.notes,
		       k.proactive, k.csat, k.nps, k.next_contact_on, k.source, k.topic
		FROM contact k
		JOIN client c ON c.id = k.client_id
		LEFT JOIN app_user u ON u.id = k.user_id
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
			&c.Proactive, &csat, &nps, &c.NextContactOn, &c.Source, &c.Topic)
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

// LogOptions are what a contact typed into a form is recorded with.
type LogOptions struct {
	Now time.Time
	// Loc is the time zone the form's date and time are read in.
	Loc *time.Location
	// MaxProactive is contact.max_proactive_per_month.
	MaxProactive int
	IP           string
}

// Log records the contact typed into f with client clientID as v: the one
// path of the contact form and the API. It answers db.ErrNotFound when v may
// not see the client, ErrReadOnly when v's role records no contacts, and
// input.Errors naming each bad field (the form is checked against the
// client's start date) or a refusal of the contact plan.
func (s *Store) Log(ctx context.Context, v access.Viewer, clientID int64, f Form, o LogOptions) (Contact, error) {
	if !v.WritesClients() {
		return Contact{}, ErrReadOnly
	}
	args := &db.Args{}
	id := args.Add(clientID)
	var since time.Time
	err := s.pool.QueryRow(ctx, fmt.Sprintf(`SELECT c.since FROM client c WHERE c.id = %s AND %s`,
		id, access.ClientScope(v, "c", args)), args.Values()...).Scan(&since)
	if errors.Is(err, pgx.ErrNoRows) {
		return Contact{}, fmt.Errorf("client %d: %w", clientID, db.ErrNotFound)
	}
	if err != nil {
		return Contact{}, fmt.Errorf("client %d: %w", clientID, err)
	}
	loc := o.Loc
	if loc == nil {
		loc = time.Local
	}
	c, err := f.Parse(ctx, since, o.Now, loc)
	if err != nil {
		return Contact{}, err
	}
	return s.Create(ctx, v, clientID, c, o.MaxProactive, o.IP)
}
