package users_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/users"
)

// A new password follows ASVS 2.1: long enough, not too long, not the login,
// not a common password (nor one with digits added), no composition rules.
func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		password, login, says string
	}{
		{"short-pass1", "anna", "use at least 12"},
		{strings.Repeat("x", 129) + "y", "anna", "use at most 128"},
		{"my-login-is-anna.k", "anna.k", "contains the login"},
		{"password1234", "anna", "most common passwords"},
		{"Password2024!!", "anna", "most common passwords"},
		{"abcabcabcabc", "anna", "repeats"},
		{"aaaaaaaaaaaaaaaa", "anna", "repeats"},
		{"correct horse battery staple", "anna", ""},
		{"relay-demo-2026", "mgr.bn-sof-1.01", ""},
		{"всё-хорошо-дома", "anna", ""},
	} {
		if got := users.PasswordProblem(tc.password, tc.login); (tc.says == "") != (got == "") || !strings.Contains(got, tc.says) {
			t.Errorf("%q for %s: %q, want %q", tc.password, tc.login, got, tc.says)
		}
	}
}

// However many sign-ins arrive at once, at most HashSlots password hashes
// (64 MiB each) are computed at once.
func TestPasswordHashingIsBounded(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	g, err := db.Gorm(pool)
	if err != nil {
		t.Fatal(err)
	}
	store := users.NewStore(pool, g)
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// ErrBusy is the bound at work on a slow machine: a sign-in that
			// waited too long for a slot is asked to try again.
			if _, err := store.Authenticate(ctx, "nobody", "a-wrong-password"); err != users.ErrBadCredentials && err != users.ErrBusy {
				t.Errorf("sign-in: %v", err)
			}
		}()
	}
	wg.Wait()
	if now, peak := store.Hashing(); now != 0 || peak < 1 || peak > users.HashSlots {
		t.Errorf("hashes under way %d, at most %d at once; want at most %d", now, peak, users.HashSlots)
	}
}
