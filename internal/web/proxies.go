package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/relaycrm/relay/internal/settings"
)

// proxiesTTL is how long the trusted proxies are kept before the setting is
// read again (a change made on another server takes this long here).
const proxiesTTL = 30 * time.Second

// trustedProxies holds the setting security.trusted_proxies: the reverse
// proxies whose X-Forwarded-For Relay believes.
type trustedProxies struct {
	settings *settings.Store
	mu       sync.Mutex
	nets     []netip.Prefix
	loaded   time.Time
}

// forget makes the next request read the setting again (after an admin
// changed it on this server).
func (p *trustedProxies) forget() {
	p.mu.Lock()
	p.loaded = time.Time{}
	p.mu.Unlock()
}

func (p *trustedProxies) current() []netip.Prefix {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.loaded) < proxiesTTL {
		return p.nets
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := p.settings.Load(ctx)
	if err != nil {
		return p.nets // keep the last known until the database answers
	}
	nets, err := settings.ParseNetworks(v["security.trusted_proxies"])
	if err != nil {
		nets = nil // a value that no longer parses trusts nobody
	}
	p.nets, p.loaded = nets, time.Now()
	return nets
}

func (p *trustedProxies) trusts(a netip.Addr) bool {
	for _, n := range p.current() {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address a request came from: the connection's, unless
// that is a trusted proxy; then X-Forwarded-For is read from the right, past
// every trusted proxy, to the first address none of them is. Nothing else
// (a private network, loopback) is trusted by default.
func (p *trustedProxies) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	direct, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	direct = direct.Unmap()
	if !p.trusts(direct) {
		return direct.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := direct
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop that is not an address: believe no further
		}
		client = a.Unmap()
		if !p.trusts(client) {
			break
		}
	}
	return client.String()
}
