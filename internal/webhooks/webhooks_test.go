package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/input"
	"github.com/relaycrm/relay/internal/webhooks"
)

var admin = audit.Actor{Login: "admin", IP: "127.0.0.1"}

// received is one request the test's receiver got, checked as a receiver
// would check it.
type received struct {
	id, event, attempt string
	body               webhooks.Body
	verifyErr          error
}

// receiver is an HTTP server on 127.0.0.1 that records what it receives and
// answers with answer(n) for the n-th request (from 1).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	secret string
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		var rec received
		rec.id, rec.event, rec.attempt = req.Header.Get(webhooks.HeaderID), req.Header.Get(webhooks.HeaderEvent),
			req.Header.Get(webhooks.HeaderAttempt)
		r.mu.Lock()
		secret := r.secret
		r.mu.Unlock()
		rec.verifyErr = webhooks.Verify(secret, req.Header.Get(webhooks.HeaderTimestamp),
			req.Header.Get(webhooks.HeaderSignature), raw, time.Now(), 5*time.Minute)
		if err := json.Unmarshal(raw, &rec.body); err != nil {
			t.Errorf("receiver: body %q: %v", raw, err)
		}
		r.mu.Lock()
		r.got = append(r.got, rec)
		n := len(r.got)
		r.mu.Unlock()
		w.WriteHeader(answer(n))
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// setup gives a database that allows http to the loopback receiver, with an
// endpoint on rcv subscribed to events.
func setup(t *testing.T, rcv *receiver, events ...webhooks.Event) (*pgxpool.Pool, int64) {
	t.Helper()
	pool := dbtest.New(t)
	exec(t, pool, `UPDATE setting SET value = '1' WHERE key = 'webhook.allow_http_private'`)
	return pool, register(t, pool, rcv, events...)
}

func register(t *testing.T, pool *pgxpool.Pool, rcv *receiver, events ...webhooks.Event) int64 {
	t.Helper()
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	id, secret, err := webhooks.Create(context.Background(), pool, admin,
		webhooks.NewEndpoint{URL: rcv.URL + "/hook", Description: "the test's receiver", Events: names})
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.secret = secret
	rcv.mu.Unlock()
	return id
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func value[T any](t *testing.T, pool *pgxpool.Pool, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// enqueue writes n import.finished events in one transaction.
func enqueue(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	err := db.InTx(context.Background(), pool, func(tx pgx.Tx) error {
		for i := range n {
			if _, err := webhooks.Enqueue(context.Background(), tx, webhooks.ImportFinished, map[string]any{"import_id": i + 1}, 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// drain runs w until nothing is pending or the test's patience ends.
func drain(t *testing.T, pool *pgxpool.Pool, w *webhooks.Worker) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for value[int64](t, pool, `SELECT count(*) FROM webhook_delivery WHERE status = 'pending'`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("deliveries still pending after 30 s")
		}
		if _, err := w.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeliveredAndSigned(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, always(http.StatusNoContent))
	pool, endpoint := setup(t, rcv, webhooks.ImportFinished)
	other := newReceiver(t, always(http.StatusOK))
	register(t, pool, other, webhooks.NightlyFinished) // not subscribed: gets nothing
	ctx := context.Background()
	n, err := webhooks.Enqueue(ctx, pool, webhooks.ImportFinished, map[string]any{"import_id": 7, "status": "applied"}, 1)
	if err != nil || n != 1 {
		t.Fatalf("enqueued %d deliveries (%v), want 1: one endpoint is subscribed", n, err)
	}
	w := &webhooks.Worker{DB: pool}
	if tried, err := w.Once(ctx); err != nil || tried != 1 {
		t.Fatalf("tried %d (%v), want 1", tried, err)
	}
	got := rcv.received()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.verifyErr != nil {
		t.Errorf("signature: %v", r.verifyErr)
	}
	if r.event != "import.finished" || r.body.Event != "import.finished" || r.attempt != "1" {
		t.Errorf("event %q / %q, attempt %q", r.event, r.body.Event, r.attempt)
	}
	if r.id == "" || r.body.ID != r.id {
		t.Errorf("the id header %q and the body's id %q differ", r.id, r.body.ID)
	}
	var data struct {
		ImportID int    `json:"import_id"`
		Status   string `json:"status"`
	}
	if err := json.Unmarshal(r.body.Data, &data); err != nil || data.ImportID != 7 || data.Status != "applied" {
		t.Errorf("data %s (%v)", r.body.Data, err)
	}
	if len(other.received()) != 0 {
		t.Error("an endpoint not subscribed to import.finished got it")
	}
	var status string
	var attempts, code int
	if err := pool.QueryRow(ctx, `SELECT status, attempts, last_status FROM webhook_delivery WHERE endpoint_id = $1`, endpoint).
		Scan(&status, &attempts, &code); err != nil {
		t.Fatal(err)
	}
	if status != "delivered" || attempts != 1 || code != 204 {
		t.Errorf("delivery %s after %d attempts, last answer %d; want delivered, 1, 204", status, attempts, code)
	}
	// a tampered body or another secret does not verify
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := webhooks.Sign("whsec_x", time.Now().Unix(), []byte(`{"a":1}`))
	if err := webhooks.Verify("whsec_x", ts, sig, []byte(`{"a":2}`), time.Now(), time.Minute); err == nil {
		t.Error("a tampered body verified")
	}
	if err := webhooks.Verify("whsec_y", ts, sig, []byte(`{"a":1}`), time.Now(), time.Minute); err == nil {
		t.Error("another secret verified")
	}
	if err := webhooks.Verify("whsec_x", ts, sig, []byte(`{"a":1}`), time.Now().Add(time.Hour), time.Minute); err == nil {
		t.Error("an hour-old timestamp verified")
	}
}

func TestRetriedAfterTheReceiverFails(t *testing.T) {
	t.Parallel()
	// 500 first, then 200
	rcv := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	pool, _ := setup(t, rcv, webhooks.ImportFinished)
	enqueue(t, pool, 1)
	w := &webhooks.Worker{DB: pool, Backoff: 20 * time.Millisecond}
	if _, err := w.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	var status, lastErr string
	var attempts, code int
	row := `SELECT status, attempts, last_status, last_error FROM webhook_delivery`
	if err := pool.QueryRow(context.Background(), row).Scan(&status, &attempts, &code, &lastErr); err != nil {
		t.Fatal(err)
	}
	if status != "pending" || attempts != 1 || code != 500 || lastErr == "" {
		t.Fatalf("after a 500: %s, %d attempts, last %d %q; want pending, 1, 500 and why", status, attempts, code, lastErr)
	}
	if due := value[bool](t, pool, `SELECT next_attempt_at > last_attempt_at FROM webhook_delivery`); !due {
		t.Error("the next attempt is not after the failed one")
	}
	drain(t, pool, w)
	if err := pool.QueryRow(context.Background(), row).Scan(&status, &attempts, &code, &lastErr); err != nil {
		t.Fatal(err)
	}
	if status != "delivered" || attempts != 2 || code != 200 || lastErr != "" {
		t.Errorf("after a 200: %s, %d attempts, last %d %q; want delivered, 2, 200", status, attempts, code, lastErr)
	}
	got := rcv.received()
	if len(got) != 2 || got[0].id != got[1].id || got[0].attempt != "1" || got[1].attempt != "2" {
		t.Fatalf("the receiver got %+v; want the same delivery twice, attempts 1 and 2", got)
	}
	for _, r := range got {
		if r.verifyErr != nil {
			t.Errorf("attempt %s: %v", r.attempt, r.verifyErr)
		}
	}
}

func TestFailedAfterTheLastAttemptAndSentAgain(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	code := http.StatusServiceUnavailable
	rcv := newReceiver(t, func(int) int { mu.Lock(); defer mu.Unlock(); return code })
	pool, _ := setup(t, rcv, webhooks.ImportFinished)
	exec(t, pool, `UPDATE setting SET value = '3' WHERE key = 'webhook.max_attempts'`)
	enqueue(t, pool, 1)
	w := &webhooks.Worker{DB: pool, Backoff: 5 * time.Millisecond}
	drain(t, pool, w)
	if s, n := value[string](t, pool, `SELECT status FROM webhook_delivery`), len(rcv.received()); s != "failed" || n != 3 {
		t.Fatalf("%s after %d requests, want failed after 3 (webhook.max_attempts)", s, n)
	}
	id := value[int64](t, pool, `SELECT id FROM webhook_delivery`)
	ctx := context.Background()
	mu.Lock()
	code = http.StatusOK
	mu.Unlock()
	if err := webhooks.Resend(ctx, pool, admin, id); err != nil {
		t.Fatal(err)
	}
	drain(t, pool, w)
	if s, a := value[string](t, pool, `SELECT status FROM webhook_delivery`), value[int](t, pool, `SELECT attempts FROM webhook_delivery`); s != "delivered" || a != 1 {
		t.Errorf("sent again: %s after %d attempts, want delivered after 1", s, a)
	}
	var errs input.Errors
	if err := webhooks.Resend(ctx, pool, admin, id); !errors.As(err, &errs) || errs["delivery"] == "" {
		t.Errorf("sending a delivered one again: %v, want an error on delivery", err)
	}
	if err := webhooks.Resend(ctx, pool, admin, id+1000); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("sending no such delivery: %v, want not found", err)
	}
	if n := value[int64](t, pool, `SELECT count(*) FROM audit_log WHERE action = 'webhook.resend'`); n != 1 {
		t.Errorf("%d re-sends audited, want 1", n)
	}
}

// A worker stopped mid-queue finishes the attempt under way and leaves the
// rest due; a worker of another process (another pool) sends them, each once.
func TestNotLostAcrossARestart(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	var once sync.Once
	rcv := newReceiver(t, func(n int) int {
		if n == 5 {
			once.Do(func() { close(stop) })
		}
		return http.StatusOK
	})
	pool, _ := setup(t, rcv, webhooks.ImportFinished)
	const total = 30
	enqueue(t, pool, total)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&webhooks.Worker{DB: pool, Batch: total, Poll: 10 * time.Millisecond}).Run(ctx)
	}()
	<-stop
	cancel()
	<-done
	pool.Close() // the first server is gone

	first := len(rcv.received())
	if first >= total {
		t.Fatalf("the first worker sent all %d before it stopped; the test stops it mid-queue", first)
	}
	second, err := db.Open(context.Background(), pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)
	if n := value[int64](t, second, `SELECT count(*) FROM webhook_delivery WHERE status = 'pending' AND next_attempt_at <= now()`); n != int64(total-first) {
		t.Errorf("%d deliveries due after the stop, want the %d not sent", n, total-first)
	}
	drain(t, second, &webhooks.Worker{DB: second})
	seen := map[string]int{}
	for _, r := range rcv.received() {
		seen[r.id]++
	}
	if len(seen) != total {
		t.Errorf("%d deliveries received, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s received %d times", id, n)
		}
	}
	if n := value[int64](t, second, `SELECT count(*) FROM webhook_delivery WHERE status = 'delivered' AND attempts = 1`); n != total {
		t.Errorf("%d delivered at the first attempt, want %d", n, total)
	}
}

// A worker that died mid-attempt (no chance to record it) leaves its claim
// to expire: the delivery is due again after the lease.
func TestAClaimOfADeadWorkerExpires(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, always(http.StatusOK))
	pool, _ := setup(t, rcv, webhooks.ImportFinished)
	enqueue(t, pool, 1)
	// claim as a worker does, then "die" before sending
	exec(t, pool, `UPDATE webhook_delivery SET attempts = 1, next_attempt_at = now() + interval '5 minutes'`)
	w := &webhooks.Worker{DB: pool}
	if tried, err := w.Once(context.Background()); err != nil || tried != 0 {
		t.Fatalf("tried %d (%v) while the claim holds, want 0", tried, err)
	}
	// the lease runs out
	exec(t, pool, `UPDATE webhook_delivery SET next_attempt_at = now() - interval '1 second'`)
	drain(t, pool, w)
	if got := rcv.received(); len(got) != 1 || got[0].attempt != "2" {
		t.Errorf("received %+v, want one request, attempt 2", got)
	}
}

func TestTwoWorkersDoNotDoubleDeliver(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, always(http.StatusOK))
	pool, _ := setup(t, rcv, webhooks.ImportFinished)
	const total = 60
	enqueue(t, pool, total)
	other, err := db.Open(context.Background(), pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	var wg sync.WaitGroup
	tried := make([]int, 2)
	for i, p := range []*pgxpool.Pool{pool, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &webhooks.Worker{DB: p, Batch: 3}
			for {
				n, err := w.Once(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
				tried[i] += n
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, r := range rcv.received() {
		seen[r.id]++
	}
	if len(seen) != total || tried[0]+tried[1] != total {
		t.Errorf("%d deliveries received, %d+%d tried; want %d", len(seen), tried[0], tried[1], total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s received %d times", id, n)
		}
	}
	t.Logf("the workers sent %d and %d", tried[0], tried[1])
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	var errs input.Errors
	_, _, err := webhooks.Create(ctx, pool, admin, webhooks.NewEndpoint{URL: "http://127.0.0.1:9/x", Events: []string{"bogus"}})
	if !errors.As(err, &errs) || errs["url"] == "" || errs["events"] == "" {
		t.Fatalf("http without the setting and an unknown event: %v, want errors on url and events", err)
	}
	id, secret, err := webhooks.Create(ctx, pool, admin, webhooks.NewEndpoint{URL: "https://hooks.bank.example/relay",
		Events: []string{"trigger.moved", "trigger.moved", "nightly.finished"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 {
		t.Errorf("secret %q is short", secret)
	}
	list, err := webhooks.Endpoints(ctx, pool)
	if err != nil || len(list) != 1 || len(list[0].Events) != 2 || !list[0].Enabled {
		t.Fatalf("endpoints %+v (%v), want one, enabled, with 2 events", list, err)
	}
	if err := webhooks.SetEnabled(ctx, pool, admin, id, false); err != nil {
		t.Fatal(err)
	}
	if n, err := webhooks.Enqueue(ctx, pool, webhooks.NightlyFinished, map[string]any{}, 1); err != nil || n != 0 {
		t.Errorf("a disabled endpoint got %d deliveries (%v), want 0", n, err)
	}
	if err := webhooks.Delete(ctx, pool, admin, id); err != nil {
		t.Fatal(err)
	}
	if err := webhooks.Delete(ctx, pool, admin, id); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("deleting it again: %v, want not found", err)
	}
	if n := value[int64](t, pool, `SELECT count(*) FROM audit_log WHERE action LIKE 'webhook.%'`); n != 3 {
		t.Errorf("%d webhook changes audited, want 3 (create, disable, delete)", n)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"https to a name", "https://hooks.bank.example/relay", false, true},
		{"https to a private address", "https://10.1.2.3:8443/in", false, true},
		{"http refused without the setting", "http://127.0.0.1:8080/in", false, false},
		{"http to loopback with the setting", "http://127.0.0.1:8080/in", true, true},
		{"http to a private address with the setting", "http://192.168.10.5/in", true, true},
		{"http to IPv6 loopback with the setting", "http://[::1]:9000/in", true, true},
		{"http to a public address", "http://8.8.8.8/in", true, false},
		{"http to a name", "http://receiver.internal/in", true, false},
		{"another scheme", "ftp://10.0.0.1/in", true, false},
		{"credentials in the URL", "https://user:pw@hooks.bank.example/", false, false},
		{"relative", "/hooks", false, false},
		{"empty", "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := webhooks.CheckURL(tc.url, tc.allowHTTP)
			if (err == nil) != tc.ok {
				t.Errorf("CheckURL(%q, %v) = %v, want ok %v", tc.url, tc.allowHTTP, err, tc.ok)
			}
		})
	}
}

// A receiver that redirects does not take Relay elsewhere: a 3xx is a failed
// attempt.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	target := newReceiver(t, always(http.StatusOK))
	rcv := newReceiver(t, always(http.StatusOK))
	rcv.Config.Handler = http.RedirectHandler(target.URL, http.StatusTemporaryRedirect)
	pool, _ := setup(t, rcv, webhooks.ImportFinished)
	enqueue(t, pool, 1)
	if _, err := (&webhooks.Worker{DB: pool}).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(target.received()) != 0 {
		t.Error("the redirect was followed")
	}
	if code := value[int](t, pool, `SELECT last_status FROM webhook_delivery`); code != http.StatusTemporaryRedirect {
		t.Errorf("last answer %d, want 307", code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
