package settings

import (
	"errors"
	"strings"
	"testing"
)

// The single sign-on's kinds of setting: an address, the groups-to-roles
// mapping, a switch.
func TestValidateSignInKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind, value, want, says string
	}{
		{kind: "url", value: " https://login.bank.example/realms/staff ", want: "https://login.bank.example/realms/staff"},
		{kind: "url", value: "", want: ""},
		{kind: "url", value: "login.bank.example", says: "is not an address"},
		{kind: "url", value: "ftp://login.bank.example", says: "is not an address"},
		{kind: "groupmap", value: "a=admin;b = manager sof01", want: "a = admin; b = manager SOF01"},
		{kind: "groupmap", value: "b = manager", says: "works in a branch"},
		{kind: "switch", value: "OFF", want: "off"},
		{kind: "switch", value: "yes", want: "on"},
		{kind: "switch", value: "maybe", says: "neither on nor off"},
	} {
		got, err := Validate(Setting{Key: "sso.x", Kind: tc.kind, Label: "X"}, tc.value)
		switch {
		case tc.says != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(Problem(err), tc.says)):
			t.Errorf("%s %q: %v, want a refusal saying %q", tc.kind, tc.value, err, tc.says)
		case tc.says == "" && (err != nil || got != tc.want):
			t.Errorf("%s %q: %q, %v, want %q", tc.kind, tc.value, got, err, tc.want)
		}
	}
}
