package sso

import (
	"strings"
	"testing"
)

func TestParseGroupMap(t *testing.T) {
	t.Parallel()
	good := "relay-admins = admin;\n heads-sofia-1=branch_head bn-sof-1 ; risk-team = RISK"
	m, err := ParseGroupMap(good)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.String(), "relay-admins = admin; heads-sofia-1 = branch_head BN-SOF-1; risk-team = risk"; got != want {
		t.Errorf("normalised: %q, want %q", got, want)
	}
	if r, ok := m.Place([]string{"staff", "risk-team", "heads-sofia-1"}); !ok || r.Group != "heads-sofia-1" {
		t.Errorf("a user in two mapped groups gets %+v, want the first entry that matches (heads-sofia-1)", r)
	}
	if _, ok := m.Place([]string{"staff"}); ok {
		t.Error("an unmapped group got a role")
	}
	for _, tc := range []struct{ value, says string }{
		{"relay-admins", "is not group = role"},
		{"x = boss", "is not a role"},
		{"x = manager", "works in a branch"},
		{"x = admin SOF01", "has no branch"},
		{"x = admin; x = risk", "mapped twice"},
		{"= admin", "is not group = role"},
	} {
		if _, err := ParseGroupMap(tc.value); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: %v, want an error saying %q", tc.value, err, tc.says)
		}
	}
}

func TestLoginOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		claims map[string]any
		want   string
	}{
		{map[string]any{"preferred_username": "Vera.Petrova", "email": "vp@bank.example"}, "vera.petrova"},
		{map[string]any{"preferred_username": "vera petrova", "email": "V.Petrova@bank.example"}, "v.petrova"},
		{map[string]any{}, "sso-"},
	} {
		if got := loginOf(tc.claims, "https://idp", "s-1"); !strings.HasPrefix(got, tc.want) || !loginPattern.MatchString(got) {
			t.Errorf("%v: login %q, want %q", tc.claims, got, tc.want)
		}
	}
}
