// Package sso owns single sign-on with OpenID Connect: the identity
// provider's settings, the mapping of its groups to Relay's roles and
// branches, and the sign-in's round trip (the authorization code flow with
// PKCE, state and nonce, and the ID token verified against the provider's
// published keys). Creating or updating the user is internal/users'.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/i18n"
)

// Config is the identity provider as the settings (sso.*) describe it, with
// the client secret, which is never a setting.
type Config struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
	// ProviderName names the provider on the sign-in page.
	ProviderName string
	// GroupsClaim is the ID token claim that lists the user's groups.
	GroupsClaim string
	Groups      GroupMap
	// Passwords is false when only BreakGlass may sign in with a password.
	Passwords  bool
	BreakGlass string
}

// Enabled tells whether single sign-on is configured.
func (c Config) Enabled() bool { return c.Issuer != "" && c.ClientID != "" && c.RedirectURL != "" }

// PasswordAllowed tells whether login may sign in with a password.
func (c Config) PasswordAllowed(login string) bool {
	return c.Passwords || (c.BreakGlass != "" && strings.EqualFold(strings.TrimSpace(login), c.BreakGlass))
}

// Rule gives the users of a provider group a role, and a branch to managers
// and branch heads.
type Rule struct {
	Group  string
	Role   access.Role
	Branch string // a branch code; empty for risk and admin
}

// GroupMap is the rules in the order the administrator wrote them: the first
// whose group a user has decides.
type GroupMap []Rule

// ParseGroupMap reads the setting sso.group_roles: "group = role [BRANCH]"
// entries separated by semicolons or new lines. What is wrong with s is a
// *GroupMapError.
func ParseGroupMap(s string) (GroupMap, error) {
	var m GroupMap
	seen := map[string]bool{}
	for _, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		group, place, ok := strings.Cut(entry, "=")
		group = strings.TrimSpace(group)
		if !ok || group == "" {
			return nil, groupMapError("settings.groupmap.notrule", "Entry", quote(entry))
		}
		if seen[group] {
			return nil, groupMapError("settings.groupmap.twice", "Group", quote(group))
		}
		seen[group] = true
		f := strings.Fields(place)
		if len(f) == 0 || len(f) > 2 {
			return nil, groupMapError("settings.groupmap.norole", "Entry", quote(entry))
		}
		r := Rule{Group: group, Role: access.Role(strings.ToLower(f[0]))}
		if !r.Role.Valid() {
			return nil, groupMapError("settings.groupmap.badrole", "Entry", quote(entry), "Role", quote(f[0]))
		}
		needsBranch := r.Role == access.Manager || r.Role == access.BranchHead
		switch {
		case needsBranch && len(f) == 1:
			return nil, groupMapError("settings.groupmap.needsbranch", "Entry", quote(entry), "Role", r.Role)
		case !needsBranch && len(f) == 2:
			return nil, groupMapError("settings.groupmap.nobranch", "Entry", quote(entry), "Role", r.Role)
		case needsBranch:
			r.Branch = strings.ToUpper(f[1])
		}
		m = append(m, r)
	}
	return m, nil
}

// GroupMapError is what is wrong with the setting sso.group_roles: a message
// id (area settings) and its named values, said in any language by In; Error
// says it in English, for the log and the command line.
type GroupMapError struct {
	ID   string
	Args []any // name, value pairs; a value that is an access.Role is named in the language
}

func groupMapError(id string, kv ...any) *GroupMapError { return &GroupMapError{ID: id, Args: kv} }

func (e *GroupMapError) Error() string { return e.In(i18n.English) }

// In says what is wrong in l.
func (e *GroupMapError) In(l i18n.Locale) string {
	args := make([]any, len(e.Args))
	for i, v := range e.Args {
		if r, ok := v.(access.Role); ok {
			v = strings.ToLower(l.T("users.roles." + string(r)))
		}
		args[i] = v
	}
	return l.T(e.ID, args...)
}

func quote(s string) string { return strconv.Quote(s) }

// String writes m as the setting holds it.
func (m GroupMap) String() string {
	parts := make([]string, len(m))
	for i, r := range m {
		parts[i] = r.Group + " = " + string(r.Role)
		if r.Branch != "" {
			parts[i] += " " + r.Branch
		}
	}
	return strings.Join(parts, "; ")
}

// Place returns the first rule whose group is one of groups.
func (m GroupMap) Place(groups []string) (Rule, bool) {
	has := make(map[string]bool, len(groups))
	for _, g := range groups {
		has[g] = true
	}
	for _, r := range m {
		if has[r.Group] {
			return r, true
		}
	}
	return Rule{}, false
}

// Identity is who the provider says signed in, from a verified ID token.
type Identity struct {
	Issuer, Subject string
	// Login is Relay's login for them: the preferred_username claim, else
	// the part of the email address before the @, lower-cased; a value that
	// is not a valid login becomes sso- and a hash of the subject.
	Login  string
	Name   string
	Groups []string
}

// Client talks to the identity providers, keeping each one's discovery
// document and keys between sign-ins.
type Client struct {
	secret string
	// HTTP makes the requests to the provider (discovery, keys, the code
	// exchange); a provider that does not answer in its timeout fails the
	// sign-in rather than holding it.
	HTTP      *http.Client
	mu        sync.Mutex
	providers map[string]*oidc.Provider
}

// NewClient returns a Client that authenticates to the provider with secret
// (RELAY_OIDC_CLIENT_SECRET).
func NewClient(secret string) *Client {
	return &Client{secret: secret, providers: map[string]*oidc.Provider{}, HTTP: &http.Client{Timeout: 15 * time.Second}}
}

// Secret is the client secret; the caller puts it in the Config.
func (c *Client) Secret() string { return c.secret }

func (c *Client) context(ctx context.Context) context.Context {
	if c.HTTP != nil {
		return oidc.ClientContext(ctx, c.HTTP)
	}
	return ctx
}

// provider returns the issuer's provider, read from its discovery document
// once (a failure is not kept, so that the next sign-in tries again).
func (c *Client) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.providers[issuer]; ok {
		return p, nil
	}
	// The provider keeps only the HTTP client of this context, for its keys.
	p, err := oidc.NewProvider(c.context(ctx), issuer)
	if err != nil {
		return nil, fmt.Errorf("identity provider %s: %w", issuer, err)
	}
	c.providers[issuer] = p
	return p, nil
}

func (c *Client) oauth(p *oidc.Provider, cfg Config) *oauth2.Config {
	return &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

// Start is a sign-in under way: the URL to send the browser to, and the
// state, nonce and PKCE verifier to keep (in the session) until it comes back.
type Start struct {
	URL, State, Nonce, Verifier string
}

// Begin starts a sign-in with the provider of cfg.
func (c *Client) Begin(ctx context.Context, cfg Config) (Start, error) {
	p, err := c.provider(ctx, cfg.Issuer)
	if err != nil {
		return Start{}, err
	}
	st := Start{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
	st.URL = c.oauth(p, cfg).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return st, nil
}

// ErrRefused is a sign-in the provider's answer does not support: a token
// that does not verify, a nonce that does not match. Its message is safe to
// show.
var ErrRefused = errors.New("the identity provider's answer could not be verified")

// Finish exchanges code for the ID token, with the PKCE verifier, checks the
// token's signature, issuer, audience, expiry and nonce, and returns who it
// names.
func (c *Client) Finish(ctx context.Context, cfg Config, code, verifier, nonce string) (Identity, error) {
	p, err := c.provider(ctx, cfg.Issuer)
	if err != nil {
		return Identity{}, err
	}
	tok, err := c.oauth(p, cfg).Exchange(c.context(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: the code exchange failed: %w", ErrRefused, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, fmt.Errorf("%w: no ID token in the answer", ErrRefused)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(c.context(ctx), raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return Identity{}, fmt.Errorf("%w: the nonce does not match this sign-in", ErrRefused)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %w", ErrRefused, err)
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, Groups: stringsOf(claims[cfg.GroupsClaim])}
	id.Name, _ = claims["name"].(string)
	id.Login = loginOf(claims, idt.Issuer, idt.Subject)
	if strings.TrimSpace(id.Name) == "" {
		id.Name = id.Login
	}
	return id, nil
}

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

func loginOf(claims map[string]any, issuer, subject string) string {
	if u, _ := claims["preferred_username"].(string); loginPattern.MatchString(strings.ToLower(u)) {
		return strings.ToLower(u)
	}
	if e, _ := claims["email"].(string); e != "" {
		if local, _, ok := strings.Cut(e, "@"); ok && loginPattern.MatchString(strings.ToLower(local)) {
			return strings.ToLower(local)
		}
	}
	h := sha256.Sum256([]byte(issuer + "\x00" + subject))
	return "sso-" + hex.EncodeToString(h[:6])
}

// stringsOf reads a groups claim: a list of names, or one name.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness failed: nothing is safe to do
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
