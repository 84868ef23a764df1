package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/db"
)

// The headers of a delivery.
const (
	HeaderID        = "Relay-Webhook-Id"        // the delivery's id, the same on every attempt
	HeaderEvent     = "Relay-Webhook-Event"     // the event, e.g. trigger.raised
	HeaderTimestamp = "Relay-Webhook-Timestamp" // Unix seconds when this attempt was signed
	HeaderAttempt   = "Relay-Webhook-Attempt"   // 1 for the first attempt
	HeaderSignature = "Relay-Webhook-Signature" // "v1=" + hex HMAC-SHA256 of timestamp + "." + body
)

// Sign is the signature of a delivery's body sent at timestamp (Unix
// seconds) with secret: "v1=" and the hex HMAC-SHA256, keyed with the secret,
// of the timestamp in decimal, a dot and the body as sent.
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify is what a receiver does (docs/webhooks.md): the signature header
// must be the one Sign gives for the timestamp header and the body, compared
// in constant time, and the timestamp within tolerance of now, so that a
// recorded delivery cannot be replayed later.
func Verify(secret string, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not Unix seconds", timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("timestamp %d is %s away from now", ts, d.Round(time.Second))
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return errors.New("signature does not match")
	}
	return nil
}

// Body is the JSON a delivery posts: the same on every attempt.
type Body struct {
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Worker posts due deliveries. Several workers (in one server or in several)
// may run on one database: each claims its own rows.
type Worker struct {
	DB  db.Querier
	Log *slog.Logger
	// Client posts the deliveries; nil: one with Timeout that follows no
	// redirect (a 3xx is a failed attempt).
	Client *http.Client
	// Timeout bounds one attempt; zero: 10 s.
	Timeout time.Duration
	// Batch is how many deliveries one claim takes; zero: 20.
	Batch int
	// Lease is how long a claimed delivery is this worker's before another
	// may try it (when this one died); zero: 5 minutes.
	Lease time.Duration
	// Poll is the wait between claims when nothing is due; zero: 2 s.
	Poll time.Duration
	// Backoff is the wait after a first failed attempt, doubled after each
	// next one up to MaxBackoff, with jitter; zero: 10 s and 6 h.
	Backoff, MaxBackoff time.Duration
	// ResponseLimit is how much of an answer is read; zero: 4 KiB.
	ResponseLimit int64
}

func (w *Worker) defaults() {
	if w.Timeout == 0 {
		w.Timeout = 10 * time.Second
	}
	if w.Client == nil {
		w.Client = &http.Client{Timeout: w.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if w.Batch == 0 {
		w.Batch = 20
	}
	if w.Lease == 0 {
		w.Lease = 5 * time.Minute
	}
	if w.Poll == 0 {
		w.Poll = 2 * time.Second
	}
	if w.Backoff == 0 {
		w.Backoff = 10 * time.Second
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = 6 * time.Hour
	}
	if w.ResponseLimit == 0 {
		w.ResponseLimit = 4 << 10
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run posts due deliveries until ctx ends. An attempt under way when ctx
// ends is finished and recorded; claimed deliveries not yet tried are
// released, due at once for the next worker.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	for {
		n, err := w.Once(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("webhooks: deliver", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.Poll):
		}
	}
}

// claimed is one delivery a worker holds.
type claimed struct {
	id          int64
	uid         string
	event       string
	payload     json.RawMessage
	createdAt   time.Time
	attempt     int
	url, secret string
	allowHTTP   bool
	maxAttempts int
}

// Once claims the due deliveries (up to Batch), tries each and records the
// outcome; it returns how many it tried.
func (w *Worker) Once(ctx context.Context) (int, error) {
	w.defaults()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	rows, err := w.DB.Query(ctx, queries["claim"], w.Batch, w.Lease.Seconds())
	if err != nil {
		return 0, fmt.Errorf("claim deliveries: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimed, error) {
		var c claimed
		err := r.Scan(&c.id, &c.uid, &c.event, &c.payload, &c.createdAt, &c.attempt, &c.url, &c.secret,
			&c.allowHTTP, &c.maxAttempts)
		return c, err
	})
	if err != nil {
		return 0, fmt.Errorf("claim deliveries: %w", err)
	}
	// Recording outlives a stop, so that no attempt made goes unrecorded.
	book := context.WithoutCancel(ctx)
	for i, c := range batch {
		if ctx.Err() != nil {
			ids := make([]int64, 0, len(batch)-i)
			for _, r := range batch[i:] {
				ids = append(ids, r.id)
			}
			if _, err := w.DB.Exec(book, queries["release"], ids); err != nil {
				return i, fmt.Errorf("release deliveries: %w", err)
			}
			return i, ctx.Err()
		}
		status, sendErr := w.send(book, c)
		if err := w.record(book, c, status, sendErr); err != nil {
			return i + 1, err
		}
	}
	return len(batch), nil
}

// send makes one attempt: the status of the answer, and an error unless it
// is 2xx.
func (w *Worker) send(ctx context.Context, c claimed) (int, error) {
	if err := CheckURL(c.url, c.allowHTTP); err != nil {
		return 0, fmt.Errorf("url %w", err)
	}
	body, err := json.Marshal(Body{ID: c.uid, Event: c.event, CreatedAt: c.createdAt.UTC(), Data: c.payload})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Relay-Webhooks/1")
	req.Header.Set(HeaderID, c.uid)
	req.Header.Set(HeaderEvent, c.event)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderAttempt, strconv.Itoa(c.attempt))
	req.Header.Set(HeaderSignature, Sign(c.secret, ts, body))
	resp, err := w.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Only so much of the answer is read: a receiver cannot make Relay hold
	// a large body.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, w.ResponseLimit))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	msg := fmt.Sprintf("answered %s", resp.Status)
	if len(snippet) > 0 {
		msg += ": " + string(bytes.ToValidUTF8(snippet[:min(len(snippet), 300)], []byte("?")))
	}
	return resp.StatusCode, errors.New(msg)
}

// record writes the outcome of an attempt: delivered, or the next attempt
// after a backoff, or failed when attempts are spent.
func (w *Worker) record(ctx context.Context, c claimed, status int, sendErr error) error {
	var code *int
	if status != 0 {
		code = &status
	}
	if sendErr == nil {
		if _, err := w.DB.Exec(ctx, queries["delivered"], c.id, c.attempt, code); err != nil {
			return fmt.Errorf("record delivery %d: %w", c.id, err)
		}
		return nil
	}
	wait := w.backoff(c.attempt)
	w.Log.Info("webhooks: attempt failed", "delivery", c.id, "attempt", c.attempt, "err", sendErr, "retry_in", wait)
	if _, err := w.DB.Exec(ctx, queries["attempt-failed"], c.id, c.attempt, code, wait.Seconds(), c.maxAttempts,
		sendErr.Error()); err != nil {
		return fmt.Errorf("record delivery %d: %w", c.id, err)
	}
	return nil
}

// backoff is the wait after the attempt-th failed attempt: Backoff doubled
// per attempt, at most MaxBackoff, of which a random half is taken off, so
// that deliveries failed together do not come back together.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.Backoff
	for i := 1; i < attempt && d < w.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.MaxBackoff)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
