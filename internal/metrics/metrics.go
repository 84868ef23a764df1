// Package metrics holds Relay's Prometheus metrics: requests and their
// latency by route, nightly runs and steps, imported rows, sign-in failures
// and password hashing, with the Go runtime's and the process's own. A nil
// *Set records nothing, so code under test need not build one.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Set is every metric of one process, in a registry of its own.
type Set struct {
	registry       *prometheus.Registry
	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	runs           *prometheus.CounterVec
	runSeconds     *prometheus.HistogramVec
	stepSeconds    *prometheus.HistogramVec
	lastRun        *prometheus.GaugeVec
	imports        *prometheus.CounterVec
	importRows     *prometheus.CounterVec
	signInFailures prometheus.Counter
	signInWaits    prometheus.Counter
}

// New builds a Set and registers it with the Go and process collectors.
func New() *Set {
	s := &Set{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relay_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code."}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "relay_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route", "method"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relay_nightly_runs_total",
			Help: "Nightly runs ended, by how they were started and how they ended."}, []string{"source", "status"}),
		runSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "relay_nightly_run_duration_seconds",
			Help: "Time a nightly run took, by how it ended.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}, []string{"status"}),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "relay_nightly_step_duration_seconds",
			Help: "Time a step of the nightly run took, by step and status.", Buckets: prometheus.ExponentialBuckets(0.1, 2, 16)},
			[]string{"step", "status"}),
		lastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "relay_nightly_last_run_timestamp_seconds",
			Help: "When the last nightly run of this process ended, by how it ended."}, []string{"status"}),
		imports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relay_imports_total",
			Help: "Feed imports ended, by source and status."}, []string{"source", "status"}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relay_import_rows_total",
			Help: "Data rows of feed files imported, by source and status (rows of a rejected feed were read, not applied)."},
			[]string{"source", "status"}),
		signInFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "relay_signin_failures_total",
			Help: "Sign-ins refused for a wrong login or password."}),
		signInWaits: prometheus.NewCounter(prometheus.CounterOpts{Name: "relay_signin_throttled_total",
			Help: "Sign-in attempts told to wait by the throttle."}),
	}
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		s.requests, s.latency, s.runs, s.runSeconds, s.stepSeconds, s.lastRun, s.imports, s.importRows,
		s.signInFailures, s.signInWaits)
	return s
}

// Handler serves the metrics in Prometheus's text format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry})
}

// Gauge registers a gauge whose value f reads at each scrape.
func (s *Set) Gauge(name, help string, f func() float64) {
	if s == nil {
		return
	}
	s.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Request records an answered request.
func (s *Set) Request(route, method, code string, took time.Duration) {
	if s == nil {
		return
	}
	s.requests.WithLabelValues(route, method, code).Inc()
	s.latency.WithLabelValues(route, method).Observe(took.Seconds())
}

// NightlyStep records a step of a nightly run.
func (s *Set) NightlyStep(step, status string, took time.Duration) {
	if s == nil {
		return
	}
	s.stepSeconds.WithLabelValues(step, status).Observe(took.Seconds())
}

// NightlyRun records an ended nightly run.
func (s *Set) NightlyRun(source, status string, took time.Duration) {
	if s == nil {
		return
	}
	s.runs.WithLabelValues(source, status).Inc()
	s.runSeconds.WithLabelValues(status).Observe(took.Seconds())
	s.lastRun.WithLabelValues(status).SetToCurrentTime()
}

// Import records an ended import of rows data rows.
func (s *Set) Import(source, status string, rows int64) {
	if s == nil {
		return
	}
	s.imports.WithLabelValues(source, status).Inc()
	s.importRows.WithLabelValues(source, status).Add(float64(rows))
}

// SignInFailed records a sign-in refused for a wrong login or password.
func (s *Set) SignInFailed() {
	if s != nil {
		s.signInFailures.Inc()
	}
}

// SignInThrottled records a sign-in attempt told to wait.
func (s *Set) SignInThrottled() {
	if s != nil {
		s.signInWaits.Inc()
	}
}
