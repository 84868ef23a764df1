package users

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed" // the common passwords
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/relaycrm/relay/internal/i18n"
)

// argon2id parameters (RFC 9106's second recommended option, with memory sized
// for a small server).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength and MaxPasswordLength bound a password's length in
// characters (ASVS 2.1.1 and 2.1.2).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

// ErrWeakPassword is returned for a password that is too short.
var ErrWeakPassword = fmt.Errorf("password must be at least %d characters", MinPasswordLength)

//go:embed common-passwords.txt
var commonPasswordsFile string

// commonPasswords is the set of common-passwords.txt, made on first use (not
// in every process that imports users: most never set a password).
var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsFile, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
})

// PasswordProblem says what is wrong with password as a new password for
// login (ASVS 2.1: length, not the login, not a common password, no
// composition rules), or "" when it will do.
func PasswordProblem(password, login string) string {
	return passwordProblem(context.Background(), password, login)
}

// passwordProblem is PasswordProblem in the language of ctx.
func passwordProblem(ctx context.Context, password, login string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return i18n.Plural(ctx, "users.problem.password.short", int64(MinPasswordLength), "Length", n)
	case n > MaxPasswordLength:
		return i18n.Plural(ctx, "users.problem.password.long", int64(MaxPasswordLength), "Length", n)
	}
	lower := strings.ToLower(password)
	if l := NormalizeLogin(login); len(l) >= 3 && strings.Contains(lower, l) {
		return i18n.T(ctx, "users.problem.password.login")
	}
	base := strings.TrimRightFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if common := commonPasswords(); common[lower] || common[base] || common[strings.TrimSpace(lower)] {
		return i18n.T(ctx, "users.problem.password.common")
	}
	if repeats(lower) {
		return i18n.T(ctx, "users.problem.password.repeats")
	}
	return ""
}

// repeats tells whether s is one short run of characters over and over
// ("aaaaaaaaaaaa", "abcabcabcabc").
func repeats(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		same := true
		for i := unit; i < len(r) && same; i++ {
			same = r[i] == r[i-unit]
		}
		if same {
			return true
		}
	}
	return false
}

// HashPassword returns the argon2id hash of password in the PHC string format.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < MinPasswordLength {
		return "", ErrWeakPassword
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword tells whether password matches the PHC-encoded hash.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("password hash: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash: unsupported version %q", parts[2])
	}
	var mem uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("password hash: key: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
