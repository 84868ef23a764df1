# Relay's Makefile: every target does its own set-up (PostgreSQL, Go modules,
# tools), so `make run` and `make test` work on a fresh machine.

SHELL := /bin/bash
GO ?= go
BIN := bin/relay
RELAY_DATABASE_URL ?= postgres://relay:relay@127.0.0.1:5432/relay?sslmode=disable
RELAY_TEST_DATABASE_URL ?= postgres://relay:relay@127.0.0.1:5432/relay_test?sslmode=disable
RELAY_BENCH_DATABASE_URL ?= postgres://relay:relay@127.0.0.1:5432/relay_bench?sslmode=disable
RELAY_ADDR ?= 127.0.0.1:8080
DEMO_CLIENTS ?= 20000
BENCH_CLIENTS ?= 1000000
export RELAY_DATABASE_URL RELAY_TEST_DATABASE_URL RELAY_BENCH_DATABASE_URL RELAY_ADDR

.PHONY: run test screenshots db build generate vet bench bench-load bench-pages bench-nightly bench-import bench-export bench-model bench-load-test clean

## run: start PostgreSQL, migrate, load the demo bank if empty (then fit its churn and take-up models and backtest), run the
## nightly job once, make the demo manager an API token for a day and print a curl line with it, serve
run: db build
	$(BIN) migrate
	$(BIN) demo --clients $(DEMO_CLIENTS) --if-empty
	$(BIN) model fit --if-none
	$(BIN) model fit --purpose takeup --if-none
	$(BIN) backtest --if-none
	$(BIN) nightly
	@echo "The API (docs/api.md) as the demo manager, with a token for a day:"
	@$(BIN) token create --login mgr.bn-sof-1.01 --name "make run" --days 1 | tee /dev/stderr | tail -n 1 | \
		sed 's|.*|  curl -H "Authorization: Bearer &" http://$(RELAY_ADDR)/api/v1/worklist|'
	$(BIN) serve

## test: start PostgreSQL, then run every test against it (unit, web, end-to-end) and print the slowest tests
## (.ci/testreport.go reads go test's JSON; pipefail keeps go test's status; -vet=off: the full go vet ran just before)
test: db
	@./.ci/browser-up
	$(GO) mod download
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) tool templ fmt -fail views
	@! grep -rInE --exclude-dir=.git --exclude-dir=node_modules '^(<<<<<<<|>>>>>>>)( |$$)' . || (echo 'merge conflict markers left in the files above' && false)
	set -o pipefail; $(GO) test -count=1 -vet=off -timeout 15m -json ./... | $(GO) run .ci/testreport.go

## screenshots: run the end-to-end journeys in headless Chromium and keep a full-page PNG of each of their steps in
## internal/web/e2e/screenshots/ (the old ones removed first); `make test` runs the same journeys without pictures
## (RELAY_E2E_SCREENSHOTS=1 is what turns them on)
screenshots: db
	@./.ci/browser-up
	rm -f internal/web/e2e/screenshots/*.png
	RELAY_E2E_SCREENSHOTS=1 $(GO) test -count=1 -timeout 15m ./internal/web/e2e/
	@ls internal/web/e2e/screenshots/*.png | wc -l | sed 's|$$| screenshots in internal/web/e2e/screenshots/|'

## db: make sure PostgreSQL runs and Relay's role and databases exist
db:
	@./.ci/db-up

build:
	$(GO) build -o $(BIN) ./cmd/relay

## generate: format and regenerate templ components (the output is committed)
generate:
	$(GO) tool templ fmt views
	$(GO) tool templ generate

vet:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## bench: load a 1,000,000-client demo bank (once) and time every page on it: p50 and p95 per page beside the
## 30 ms p95 goal and the load average, then one table of them all
bench: bench-pages

bench-load: db build
	./.ci/bench-db $(BENCH_CLIENTS)

bench-pages: bench-load
	RELAY_BENCH=1 $(GO) test -run '^$$' -bench 'Pages|AuditLog' -benchtime 200x -timeout 60m ./internal/web/

## bench-nightly: time the nightly run (first night, ordinary night, quiet night; whole and by step) on the
## 1,000,000-client demo bank against one plain aggregate pass over the months it reads, taken right before and after
## each run, with the goal (<= 4x, <= 3x, <= 3x), the buffers each read, the load average, and the PostgreSQL server's
## and the Go process's peak memory (RELAY_BENCH_NIGHTS=ordinary,quiet runs only those)
bench-nightly: bench-load
	RELAY_BENCH=1 $(GO) test -run '^$$' -bench 'Nightly' -benchtime 1x -timeout 60m ./internal/nightly/

## bench-import: import a feed of 1,000,000 clients with 12 months of facts (exported once from a demo bank)
## into an empty database, and compare it with a plain COPY of the same files into bare tables
bench-import: db
	RELAY_BENCH=1 $(GO) test -run '^$$' -bench 'Import' -benchtime 1x -timeout 60m ./internal/imports/

## bench-export: export 10,000 and 100,000 made-up warned clients (in databases of its own) to CSV and to XLSX
## and print each export's time, rows per second and peak heap and RSS, and the churn list page's time
bench-export: db
	RELAY_BENCH=1 $(GO) test -run '^$$' -bench 'ChurnExport' -benchtime 1x -timeout 30m ./internal/exports/

## bench-model: fit the churn model on the 1,000,000-client demo bank (replaying 12 months, every leaver and a
## weighted sample of stayers) and print its time, each month's replay, its figures and the Go process's peak memory;
## then, in a process of its own, the same for the take-up model (one per product, 25 products)
bench-model: bench-load
	RELAY_BENCH=1 $(GO) test -run '^$$' -bench 'ModelFit' -benchtime 1x -timeout 60m ./internal/churn/
	RELAY_BENCH=1 $(GO) test -run '^$$' -bench 'TakeupFit' -benchtime 1x -timeout 60m ./internal/churn/

## bench-load-test: serve the 1,000,000-client bank with `relay serve` and send it the pages of every role at
## 200 requests a second for 60 s (RATE, DURATION), alone and during a nightly run: errors, p50/p95/p99 per page,
## the server's memory (internal/loadtest, .ci/load-test)
bench-load-test: bench-load
	./.ci/load-test

clean:
	rm -rf bin
