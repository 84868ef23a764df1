// Package i18n puts Relay's words and figures in the viewer's language:
// English, Bulgarian and Russian.
//
// Messages live in locales/<area>.<lang>.toml (go-i18n's TOML format; one
// file per area and language, so that pages are translated side by side). A
// message is looked up by its id, "<area>.<name>", in the locale carried by
// the request's context:
//
//	{ i18n.T(ctx, "clients.title") }
//	{ i18n.T(ctx, "clients.shown", "Shown", n, "Total", total) }   // {{.Shown}} in the message
//	{ i18n.Plural(ctx, "clients.count", n) }                       // one/few/many/other by the locale's rules
//
// Figures go through the formatters, never fmt: Int, Decimal, Percent, Money,
// MoneyWhole, Date, Month and DateTime write them as the locale writes them
// (1,234.50 in English, 1 234,50 in Bulgarian and Russian).
//
// A message missing in the viewer's language falls back to English and is
// recorded (Missing), so that the page-walking test fails on it; a message
// missing in English too shows its id.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Locale is a language Relay speaks.
type Locale string

// The languages Relay speaks; English is the fallback.
const (
	English   Locale = "en"
	Bulgarian Locale = "bg"
	Russian   Locale = "ru"
)

// Locales lists them in the order a language picker shows them.
var Locales = []Locale{English, Bulgarian, Russian}

// Name is the language's own name for itself.
func (l Locale) Name() string {
	switch l {
	case Bulgarian:
		return "Български"
	case Russian:
		return "Русский"
	}
	return "English"
}

// Parse reads a stored or submitted locale code.
func Parse(s string) (Locale, bool) {
	for _, l := range Locales {
		if string(l) == s {
			return l, true
		}
	}
	return "", false
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Bulgarian, language.Russian})

// Match picks the locale for a browser's Accept-Language header; English when
// it names none of Relay's languages or cannot be read.
func Match(acceptLanguage string) Locale {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return English
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return English
	}
	return Locales[i]
}

type ctxKey struct{}

// With returns ctx carrying locale l.
func With(ctx context.Context, l Locale) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the locale ctx carries, English when none.
func From(ctx context.Context) Locale {
	if l, ok := ctx.Value(ctxKey{}).(Locale); ok {
		return l
	}
	return English
}

//go:embed locales/*.toml
var files embed.FS

// catalogue is the message files, parsed on first use rather than when the
// package loads: most processes that import i18n (a nightly run, an import,
// most test binaries) never put a message into words, and parsing every file
// cost each of them about 14 MB and a tenth of a CPU second at start.
var catalogue = sync.OnceValue(func() messages {
	bundle, err := load(files)
	if err != nil {
		// A message file that does not parse is a build error: the test
		// TestMessageFilesAgree fails on it; at run time every lookup shows
		// its id.
		bundle = goi18n.NewBundle(language.English)
		compiled = map[Locale]map[string]*compiledMessage{}
	}
	m := messages{localizers: map[Locale]*goi18n.Localizer{}, err: err}
	for _, l := range Locales {
		m.localizers[l] = goi18n.NewLocalizer(bundle, string(l))
	}
	return m
})

// messages is the parsed catalogue: a localizer per locale, and the error
// reading the files.
type messages struct {
	localizers map[Locale]*goi18n.Localizer
	err        error
}

func load(fsys fs.FS) (*goi18n.Bundle, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	paths, err := fs.Glob(fsys, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		buf, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		f, err := b.ParseMessageFileBytes(buf, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		compileFile(f)
	}
	return b, nil
}

// LoadError is the error reading the message files, nil when they are sound.
func LoadError() error { return catalogue().err }

var missing sync.Map // "locale:id" -> true

// Missing lists, sorted, every "locale:id" looked up since start that the
// locale's file lacks.
func Missing() []string {
	var out []string
	missing.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	sort.Strings(out)
	return out
}

// T is the message id in ctx's locale, filled with the named values of kv
// (pairs of name, value).
func T(ctx context.Context, id string, kv ...any) string {
	return From(ctx).T(id, kv...)
}

// Plural is the message id in ctx's locale in the plural form for n, which
// the message reads as {{.Count}}, with the named values of kv as in T.
func Plural(ctx context.Context, id string, n int64, kv ...any) string {
	return From(ctx).Plural(id, n, kv...)
}

// T is the message id in locale l; see the package T.
func (l Locale) T(id string, kv ...any) string {
	if s, ok := l.compiledText(id, false, 0, kv); ok {
		return s
	}
	return l.localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data(kv)})
}

// Plural is the message id in locale l for count n; see the package Plural.
func (l Locale) Plural(id string, n int64, kv ...any) string {
	if s, ok := l.compiledText(id, true, n, kv); ok {
		return s
	}
	d := data(kv)
	d["Count"] = l.Int(n)
	return l.localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: d, PluralCount: n})
}

func (l Locale) localize(cfg *goi18n.LocalizeConfig) string {
	localizers := catalogue().localizers
	loc, ok := localizers[l]
	if !ok {
		l, loc = English, localizers[English]
	}
	s, tag, err := loc.LocalizeWithTag(cfg)
	if err == nil && (l == English || tag != language.English) {
		return s
	}
	missing.Store(string(l)+":"+cfg.MessageID, true)
	if l != English {
		if s, err := localizers[English].Localize(cfg); err == nil {
			return s
		}
		missing.Store("en:"+cfg.MessageID, true)
	}
	return cfg.MessageID
}

func data(kv []any) map[string]any {
	d := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		d[k] = kv[i+1]
	}
	return d
}

// IDs lists every message id of locale l's files, sorted.
func IDs(l Locale) []string {
	var out []string
	paths, _ := fs.Glob(files, "locales/*."+string(l)+".toml")
	for _, p := range paths {
		buf, _ := fs.ReadFile(files, p)
		var raw map[string]any
		if toml.Unmarshal(buf, &raw) != nil {
			continue
		}
		out = append(out, flatten("", raw)...)
	}
	sort.Strings(out)
	return out
}

// flatten names the messages of a parsed file: a table holding "other" (or
// another plural form, or "description") is one message; any other table
// nests ids with dots.
func flatten(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		id := k
		if prefix != "" {
			id = prefix + "." + k
		}
		switch t := v.(type) {
		case map[string]any:
			if isMessage(t) {
				out = append(out, id)
			} else {
				out = append(out, flatten(id, t)...)
			}
		default:
			out = append(out, id)
		}
	}
	return out
}

func isMessage(m map[string]any) bool {
	for _, k := range []string{"other", "one", "few", "many", "zero", "two", "description", "hash"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// Messages returns every message of locale l as id -> text (the "other"
// form of plurals), for tests that look for untranslated words.
func Messages(l Locale) map[string]string {
	out := map[string]string{}
	for _, id := range IDs(l) {
		out[id] = strings.TrimSpace(l.raw(id))
	}
	return out
}

func (l Locale) raw(id string) string {
	s, err := catalogue().localizers[l].Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: 5, TemplateData: map[string]any{}})
	if err != nil {
		return ""
	}
	return s
}
