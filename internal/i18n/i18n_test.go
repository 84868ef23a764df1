package i18n

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestMessageFilesAgree: the files parse, and every language has exactly the
// ids English has, so that no page falls back to English for want of a key.
func TestMessageFilesAgree(t *testing.T) {
	if err := LoadError(); err != nil {
		t.Fatalf("message files: %v", err)
	}
	en := IDs(English)
	if len(en) == 0 {
		t.Fatal("no English messages")
	}
	has := func(l Locale) map[string]bool {
		m := map[string]bool{}
		for _, id := range IDs(l) {
			m[id] = true
		}
		return m
	}
	enSet := has(English)
	for _, l := range Locales[1:] {
		set := has(l)
		for _, id := range en {
			if !set[id] {
				t.Errorf("%s lacks %s", l, id)
			}
		}
		for id := range set {
			if !enSet[id] {
				t.Errorf("%s has %s, which English lacks", l, id)
			}
		}
	}
}

// TestTranslationsKeepPlaceholders: a translation names the same {{.X}}
// values as English, so no figure goes missing in another language.
func TestTranslationsKeepPlaceholders(t *testing.T) {
	enMsgs := Messages(English)
	for _, l := range Locales[1:] {
		for id, text := range Messages(l) {
			want := placeholders(enMsgs[id])
			got := placeholders(text)
			if want != got {
				t.Errorf("%s %s: placeholders %q, English has %q", l, id, got, want)
			}
		}
	}
}

func placeholders(s string) string {
	var out []string
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		out = append(out, s[i:i+j+2])
		s = s[i+j+2:]
	}
	// Order may differ between languages; compare as a set.
	seen := map[string]bool{}
	var uniq []string
	for _, p := range out {
		if !seen[p] {
			seen[p] = true
			uniq = append(uniq, p)
		}
	}
	sort.Strings(uniq)
	return strings.Join(uniq, " ")
}

func TestLookupAndFallback(t *testing.T) {
	bg := With(context.Background(), Bulgarian)
	if got := T(bg, "common.signout"); got != "Изход" {
		t.Errorf("bg signout = %q", got)
	}
	if got := T(context.Background(), "common.signout"); got != "Sign out" {
		t.Errorf("default signout = %q", got)
	}
	if got := T(bg, "common.no-such-key"); got != "common.no-such-key" {
		t.Errorf("unknown id shows %q, want the id", got)
	}
	found := false
	for _, m := range Missing() {
		if m == "bg:common.no-such-key" {
			found = true
		}
	}
	if !found {
		t.Errorf("Missing() = %v, lacks bg:common.no-such-key", Missing())
	}
}

func TestRussianPlurals(t *testing.T) {
	ru := With(context.Background(), Russian)
	for n, want := range map[int64]string{1: "1 клиент", 3: "3 клиента", 5: "5 клиентов", 21: "21 клиент", 1000: "1\u00a0000 клиентов"} {
		if got := Plural(ru, "common.clients", n); got != want {
			t.Errorf("ru %d = %q, want %q", n, got, want)
		}
	}
	en := context.Background()
	if got := Plural(en, "common.clients", 1); got != "1 client" {
		t.Errorf("en 1 = %q", got)
	}
	if got := Plural(en, "common.clients", 1234); got != "1,234 clients" {
		t.Errorf("en 1234 = %q", got)
	}
}

func TestFigures(t *testing.T) {
	day := time.Date(2026, 12, 5, 14, 30, 0, 0, time.UTC)
	cases := []struct {
		l                                   Locale
		money, whole, pct, dec, date, month string
	}{
		{English, "-12,345.67 EUR", "12,346 EUR", "12.5%", "0.94", "2026-12-05", "Dec 2026"},
		{Bulgarian, "−12\u00a0345,67 EUR", "12\u00a0346 EUR", "12,5\u00a0%", "0,94", "05.12.2026", "дек 2026"},
		{Russian, "−12\u00a0345,67 EUR", "12\u00a0346 EUR", "12,5\u00a0%", "0,94", "05.12.2026", "дек 2026"},
	}
	for _, c := range cases {
		check := func(what, got, want string) {
			if got != want {
				t.Errorf("%s %s = %q, want %q", c.l, what, got, want)
			}
		}
		check("money", c.l.Money(-1234567, "EUR", 2), c.money)
		check("whole", c.l.MoneyWhole(1234567, "EUR", 2), c.whole)
		check("percent", c.l.Percent(0.125, 1), c.pct)
		check("decimal", c.l.Decimal(0.9409, 2), c.dec)
		check("date", c.l.Date(day), c.date)
		check("month", c.l.Month(day), c.month)
	}
}

func TestDurations(t *testing.T) {
	nb := "\u00a0"
	for _, c := range []struct {
		d      time.Duration
		en, bg string
	}{
		{430*time.Millisecond + 400*time.Microsecond, "430" + nb + "ms", "430" + nb + "мс"},
		{4283 * time.Millisecond, "4.28" + nb + "s", "4,28" + nb + "с"},
		{13140 * time.Millisecond, "13.1" + nb + "s", "13,1" + nb + "с"},
		{59960 * time.Millisecond, "1" + nb + "min 0" + nb + "s", "1" + nb + "мин 0" + nb + "с"},
		{4*time.Minute + 12400*time.Millisecond, "4" + nb + "min 12" + nb + "s", "4" + nb + "мин 12" + nb + "с"},
		{time.Hour + 3*time.Minute + 20*time.Second, "1" + nb + "h 03" + nb + "min", "1" + nb + "ч 03" + nb + "мин"},
		{-time.Second, "–", "–"},
	} {
		if got := English.Duration(c.d); got != c.en {
			t.Errorf("en %v = %q, want %q", c.d, got, c.en)
		}
		if got := Bulgarian.Duration(c.d); got != c.bg {
			t.Errorf("bg %v = %q, want %q", c.d, got, c.bg)
		}
	}
}

func TestMatch(t *testing.T) {
	for h, want := range map[string]Locale{
		"bg-BG,bg;q=0.9,en;q=0.8": Bulgarian,
		"ru":                      Russian,
		"de-DE,de;q=0.9":          English,
		"en-GB":                   English,
		"":                        English,
		"%%%":                     English,
		"uk-UA,ru;q=0.8":          Russian,
	} {
		if got := Match(h); got != want {
			t.Errorf("Match(%q) = %s, want %s", h, got, want)
		}
	}
}
