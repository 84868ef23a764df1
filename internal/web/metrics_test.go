package web_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/logs"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

// lockedBuffer is a log sink the server writes to from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// /metrics counts requests by route, sign-in failures and the Go runtime, in
// Prometheus's format; every log line of a request is JSON with its id.
func TestMetricsAndRequestLogs(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	srv := webtest.Start(t, dbtest.NewDemo(t, demoClients), webtest.Options{Metrics: metrics.New(),
		Log: logs.New(&out, "json", slog.LevelInfo)})
	c := srv.NewClient(t)
	c.Get("/login")
	c.Post("/login", url.Values{"login": {managerLogin}, "password": {"a-wrong-password"}})
	c.Login(managerLogin, seeds.DemoPassword)
	c.Get("/clients")
	c.Get("/clients/" + clientOf(t, srv, managerLogin))
	c.Get("/no/such/page")

	r := srv.NewClient(t).Get("/metrics")
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.Status)
	}
	for _, want := range []string{
		`relay_http_requests_total{code="200",method="GET",route="/clients"} 1`,
		`relay_http_requests_total{code="200",method="GET",route="/clients/:id"} 1`,
		`relay_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`relay_http_request_duration_seconds_bucket{method="GET",route="/clients",le="+Inf"} 1`,
		`relay_signin_failures_total 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var requests int
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", l)
		}
		if rec["msg"] == "request" {
			requests++
			if id, _ := rec["request_id"].(string); len(id) < 16 {
				t.Errorf("a request line has no request id: %q", l)
			}
		}
	}
	if requests < 5 {
		t.Errorf("%d request lines logged, want one per request", requests)
	}
}
