// Package settings owns the setting table: every threshold and window of the
// domain, with its default, validated when an admin changes it.
package settings

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"
	"gorm.io/gorm"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/products"
	"github.com/relaycrm/relay/internal/sso"
)

// Setting is one row of the setting table.
type Setting struct {
	Key          string `gorm:"primaryKey"`
	Value        string
	DefaultValue string
	Kind         string
	MinValue     *float64
	MaxValue     *float64
	Area         string
	Label        string
	Description  string
	UpdatedAt    time.Time
	UpdatedBy    *int64
}

// TableName maps Setting to its table.
func (Setting) TableName() string { return "setting" }

// Store reads and writes settings: its queries are the package's named
// queries over the pool, and gorm does the record work on Setting over the
// same pool.
type Store struct {
	pool *pgxpool.Pool
	g    *gorm.DB
}

// NewStore returns a Store over pool, and g, gorm over the same pool
// (db.Gorm(pool)).
func NewStore(pool *pgxpool.Pool, g *gorm.DB) *Store { return &Store{pool: pool, g: g} }

// All returns every setting, by area and key.
func (s *Store) All(ctx context.Context) ([]Setting, error) {
	var out []Setting
	if err := s.g.WithContext(ctx).Order("area, key").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return out, nil
}

// Values is a snapshot of every setting's value, read once so that a run or a
// request sees one consistent set.
type Values map[string]string

// Load reads a snapshot of every setting.
func (s *Store) Load(ctx context.Context) (Values, error) {
	all, err := s.All(ctx)
	if err != nil {
		return nil, err
	}
	v := make(Values, len(all))
	for _, st := range all {
		v[st.Key] = st.Value
	}
	return v, nil
}

// Int returns an integer setting. A missing or malformed value is a
// programming or migration error and panics, so it is caught by tests.
func (v Values) Int(key string) int {
	n, err := strconv.Atoi(v.must(key))
	if err != nil {
		panic(fmt.Sprintf("setting %s: %q is not an integer", key, v[key]))
	}
	return n
}

// Ratio returns a ratio setting (0 to 1).
func (v Values) Ratio(key string) float64 {
	f, err := strconv.ParseFloat(v.must(key), 64)
	if err != nil {
		panic(fmt.Sprintf("setting %s: %q is not a number", key, v[key]))
	}
	return f
}

// On tells whether a switch setting is on.
func (v Values) On(key string) bool { return v.must(key) == "on" }

// String returns a text setting.
func (v Values) String(key string) string { return v.must(key) }

// List returns a list setting (a families setting): its comma-separated
// items, none for an empty value.
func (v Values) List(key string) []string {
	out := []string{}
	for _, item := range strings.Split(v.must(key), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (v Values) must(key string) string {
	s, ok := v[key]
	if !ok {
		panic(fmt.Sprintf("setting %s does not exist", key))
	}
	return s
}

// ErrInvalid is a value that a setting does not accept (errors.Is holds for
// every such error); Problem says what is wrong, for the user.
var ErrInvalid = errors.New("invalid setting")

// invalidError is a value the setting does not accept: it names the setting
// and says what is wrong, in a language.
type invalidError struct {
	st  Setting
	say func(l i18n.Locale) string
}

func (e *invalidError) Error() string        { return ErrInvalid.Error() + ": " + e.problem(i18n.English) }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func (e *invalidError) problem(l i18n.Locale) string {
	return LabelIn(l, e.st.Key, e.st.Label) + ": " + e.say(l)
}

// invalid returns the refusal of st's value: the message id says why, with
// the named values of kv (which may be a func(i18n.Locale) string, written
// in the same language).
func invalid(st Setting, id string, kv ...any) error {
	return &invalidError{st: st, say: func(l i18n.Locale) string {
		args := make([]any, len(kv))
		for i, v := range kv {
			if f, ok := v.(func(i18n.Locale) string); ok {
				v = f(l)
			}
			args[i] = v
		}
		return l.T(id, args...)
	}}
}

var (
	catalogueOnce sync.Once
	catalogue     map[string]string
)

// translated is the id's message in l when the message files have it, else
// the stored English.
func translated(l i18n.Locale, id, stored string) string {
	catalogueOnce.Do(func() { catalogue = i18n.Messages(i18n.English) })
	if _, ok := catalogue[id]; !ok {
		return stored
	}
	return l.T(id)
}

// LabelIn is setting key's label in l; stored, the database's English, when
// the message files do not have it (a setting added since).
func LabelIn(l i18n.Locale, key, stored string) string {
	return translated(l, "settings.label."+key, stored)
}

// DescriptionIn is setting key's description in l, as LabelIn.
func DescriptionIn(l i18n.Locale, key, stored string) string {
	return translated(l, "settings.desc."+key, stored)
}

// Validate checks value against the setting's kind and bounds and returns it
// normalised.
func Validate(st Setting, value string) (string, error) {
	value = strings.TrimSpace(value)
	bad := func(id string, kv ...any) (string, error) {
		return "", invalid(st, id, kv...)
	}
	inBounds := func(f float64) bool {
		return (st.MinValue == nil || f >= *st.MinValue) && (st.MaxValue == nil || f <= *st.MaxValue)
	}
	bounds := func(l i18n.Locale) string {
		switch {
		case st.MinValue != nil && st.MaxValue != nil:
			return l.T("settings.problem.between", "Min", fmtNum(*st.MinValue), "Max", fmtNum(*st.MaxValue))
		case st.MinValue != nil:
			return l.T("settings.problem.atleast", "Min", fmtNum(*st.MinValue))
		default:
			return l.T("settings.problem.atmost", "Max", fmtNum(*st.MaxValue))
		}
	}
	switch st.Kind {
	case "int":
		n, err := strconv.Atoi(value)
		if err != nil {
			return bad("settings.problem.int", "Value", value)
		}
		if !inBounds(float64(n)) {
			return bad("settings.problem.range", "Value", strconv.Itoa(n), "Bounds", bounds)
		}
		return strconv.Itoa(n), nil
	case "ratio":
		f, err := strconv.ParseFloat(strings.TrimSuffix(value, "%"), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return bad("settings.problem.number", "Value", value)
		}
		if strings.HasSuffix(value, "%") {
			f /= 100
		}
		if !inBounds(f) {
			return bad("settings.problem.range", "Value", fmtNum(f), "Bounds", bounds)
		}
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	case "cron":
		if _, err := cron.ParseStandard(value); err != nil {
			return bad("settings.problem.cron", "Value", value, "Error", err.Error())
		}
		return value, nil
	case "families":
		return validFamilies(value, bad)
	case "path":
		// A directory under a root the server was started with: relative,
		// and never climbing out of it.
		if value == "" {
			return "", nil
		}
		if !filepath.IsLocal(value) || strings.ContainsRune(value, '\\') {
			return bad("settings.problem.path", "Value", value)
		}
		return filepath.ToSlash(filepath.Clean(value)), nil
	case "networks":
		nets, err := ParseNetworks(value)
		if err != nil {
			var b badNetwork
			if errors.As(err, &b) {
				return bad("settings.problem.networks", "Value", string(b))
			}
			return bad("settings.problem.groupmap", "Error", err.Error())
		}
		out := make([]string, len(nets))
		for i, n := range nets {
			out[i] = n.String()
		}
		return strings.Join(out, ", "), nil
	case "url":
		if value == "" {
			return "", nil
		}
		u, err := url.Parse(value)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return bad("settings.problem.url", "Value", value)
		}
		return value, nil // as the provider writes it: its ID tokens must name the same issuer
	case "groupmap":
		m, err := sso.ParseGroupMap(value)
		if err != nil {
			var ge *sso.GroupMapError
			if errors.As(err, &ge) {
				return bad("settings.problem.groupmap", "Error", ge.In)
			}
			return bad("settings.problem.groupmap", "Error", err.Error())
		}
		if len(value) > 4000 {
			return bad("settings.problem.long4000")
		}
		return m.String(), nil
	case "switch":
		switch strings.ToLower(value) {
		case "on", "true", "yes":
			return "on", nil
		case "off", "false", "no":
			return "off", nil
		}
		return bad("settings.problem.switch", "Value", value)
	default:
		if len(value) > 500 {
			return bad("settings.problem.long500")
		}
		return value, nil
	}
}

// validFamilies normalises a comma-separated list of product families (each
// once, in the catalogue's order) and refuses one the catalogue does not know.
func validFamilies(value string, bad func(string, ...any) (string, error)) (string, error) {
	want := map[string]bool{}
	for _, item := range strings.Split(value, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if item == "" {
			continue
		}
		known := false
		for _, f := range products.Families {
			known = known || f.Value == item
		}
		if !known {
			names := make([]string, len(products.Families))
			for i, f := range products.Families {
				names[i] = f.Value
			}
			return bad("settings.problem.family", "Value", item, "Families", strings.Join(names, ", "))
		}
		want[item] = true
	}
	var out []string
	for _, f := range products.Families {
		if want[f.Value] {
			out = append(out, f.Value)
		}
	}
	return strings.Join(out, ","), nil
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Set validates and stores a new value for key, recording who changed it.
func (s *Store) Set(ctx context.Context, userID int64, key, value string) (Setting, error) {
	var st Setting
	err := s.g.WithContext(ctx).Where("key = ?", key).First(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, fmt.Errorf("setting %q: %w", key, db.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("setting %q: %w", key, err)
	}
	norm, err := Validate(st, value)
	if err != nil {
		return st, err
	}
	st.Value, st.UpdatedAt = norm, time.Now()
	st.UpdatedBy = &userID
	if err := s.g.WithContext(ctx).Model(&st).Select("value", "updated_at", "updated_by").Updates(&st).Error; err != nil {
		return st, fmt.Errorf("save setting %q: %w", key, err)
	}
	return st, nil
}

// badNetwork is an item of a networks setting that is neither an address
// nor a range.
type badNetwork string

func (b badNetwork) Error() string {
	return fmt.Sprintf("%q is not an address or a CIDR range (192.0.2.10, 10.0.0.0/8, fd00::/8)", string(b))
}

// ParseNetworks reads a networks setting: addresses or CIDR ranges separated
// by commas or spaces (an address is a range of one).
func ParseNetworks(value string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, badNetwork(f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
