package i18n

import (
	"math"
	"regexp"
	"strings"
	"testing"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// slowT and slowPlural are T and Plural through go-i18n alone.
func (l Locale) slowT(id string, kv ...any) string {
	return l.localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data(kv)})
}

func (l Locale) slowPlural(id string, n int64, kv ...any) string {
	d := data(kv)
	d["Count"] = l.Int(n)
	return l.localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: d, PluralCount: n})
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// TestCompiledMessagesAsGoI18n: for every message of every language, T and
// Plural (compiled) write exactly what go-i18n writes, in every plural form
// (counts -100 to 1,000 and a few large ones), with every value the
// message names given as text, as a whole number, or (when the compiled form
// must step aside) missing or of another type.
func TestCompiledMessagesAsGoI18n(t *testing.T) {
	t.Parallel()
	counts := []int64{0, 1, 2, 5, 11, 21, 22, math.MaxInt64, math.MinInt64, 1_000_001, 1_000_011, 100_002, -21, 111, 112, 1_000_000_000}
	for n := int64(-100); n <= 1000; n++ {
		counts = append(counts, n)
	}
	compiledN := 0
	for _, l := range Locales {
		if len(compiled[l]) == 0 {
			t.Fatalf("%s: no compiled messages", l)
		}
		for _, id := range IDs(l) {
			if compiled[l][id] != nil {
				compiledN++
			}
			// the names the message uses, in any language
			names := map[string]bool{}
			for _, ll := range Locales {
				for _, m := range placeholder.FindAllStringSubmatch(ll.raw(id)+" "+ll.rawForms(id), -1) {
					names[m[1]] = true
				}
			}
			var asText, asInt, missingOne, otherType []any
			k := 0
			for name := range names {
				k++
				asText = append(asText, name, "‹"+name+"› & <b>{{.X}}</b>")
				asInt = append(asInt, name, k*1000+7)
				otherType = append(otherType, name, 2.5)
				if k > 1 {
					missingOne = append(missingOne, name, "v")
				}
			}
			plural := false
			for _, ll := range Locales {
				if m := compiled[ll][id]; m != nil {
					for form := formZero; form < formCount; form++ {
						plural = plural || m[form] != nil
					}
				}
			}
			for i, kv := range [][]any{asText, nil, asInt, missingOne, otherType,
				append(append([]any{}, asText...), asText...), append([]any{"Count", "kv's count"}, asText...)} {
				if got, want := l.T(id, kv...), l.slowT(id, kv...); got != want {
					t.Errorf("%s %s T(%v): compiled %q, go-i18n %q", l, id, kv, got, want)
				}
				ns := counts[:1]
				if i < 2 {
					ns = counts[:16]
				}
				if plural && i == 0 {
					ns = counts // every form with the values as text
				}
				for _, n := range ns {
					if got, want := l.Plural(id, n, kv...), l.slowPlural(id, n, kv...); got != want {
						t.Fatalf("%s %s Plural(%d, %v): compiled %q, go-i18n %q", l, id, n, kv, got, want)
					}
				}
			}
		}
	}
	// The signals' and reasons' messages are all plain {{.Name}} templates:
	// they must be compiled, or the export is back to text/template.
	for _, l := range Locales {
		for _, id := range IDs(l) {
			if m := compiled[l][id]; (strings.HasPrefix(id, "signals.") || strings.HasPrefix(id, "reasons.")) &&
				(m == nil || m[formOther] == nil) {
				t.Errorf("%s %s is not compiled", l, id)
			}
		}
	}
	t.Logf("%d messages compiled", compiledN)
}

// rawForms is every plural form of message id in l, as written, for the
// names they use.
func (l Locale) rawForms(id string) string {
	var s string
	for _, n := range []int64{0, 1, 2, 5, 11, 21} {
		s += " " + l.slowPlural(id, n)
	}
	return s
}

// TestPluralFormsAsGoI18n: the compiled plural rules pick the form go-i18n
// picks, for a message whose forms say which they are.
func TestPluralFormsAsGoI18n(t *testing.T) {
	t.Parallel()
	for _, l := range Locales {
		for n := int64(-3000); n <= 3000; n++ {
			form := l.pluralForm(n)
			op := goPluralForm(t, l, n)
			if form != op {
				t.Fatalf("%s %d: compiled form %d, go-i18n %d", l, n, form, op)
			}
		}
	}
}

// goPluralForm asks go-i18n which form it picks for n in l, through a
// message whose every form names itself.
func goPluralForm(t *testing.T, l Locale, n int64) int {
	t.Helper()
	loc := formLocalizers[l]
	s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: "form", PluralCount: n})
	if err != nil {
		t.Fatal(err)
	}
	for form, name := range formNames {
		if name == s {
			return form
		}
	}
	t.Fatalf("%q is no form", s)
	return -1
}

var formNames = map[int]string{formOther: "other", formZero: "zero", formOne: "one", formTwo: "two", formFew: "few",
	formMany: "many"}

var formLocalizers = func() map[Locale]*goi18n.Localizer {
	b := goi18n.NewBundle(language.English)
	out := map[Locale]*goi18n.Localizer{}
	for _, l := range Locales {
		m := &goi18n.Message{ID: "form", Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other"}
		if err := b.AddMessages(language.Make(string(l)), m); err != nil {
			panic(err)
		}
		out[l] = goi18n.NewLocalizer(b, string(l))
	}
	return out
}()
