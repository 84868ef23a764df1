//go:build ignore

// testreport reads `go test -json` on its standard input and writes what a
// person wants from `make test`: a line per package (ok or FAIL, with its
// time), the whole output of every failed test and package, and at the end the
// slowest tests, so that a test that grows slow is seen the day it does. It
// exits 1 when any test or package failed, or when the input ended without a
// package's result (a build failure, a crash); run it after `set -o pipefail`
// so that go test's own status counts too.
//
//	go test -json ./... | go run .ci/testreport.go [-top 15]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// timing is a finished test's time.
type timing struct {
	pkg, test string
	elapsed   float64
}

type key struct{ pkg, test string }

func main() {
	top := flag.Int("top", 15, "how many of the slowest tests to print")
	flag.Parse()
	failed, err := report(os.Stdin, os.Stdout, *top)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// report copies the results of in to out and says whether anything failed.
func report(in io.Reader, out io.Writer, top int) (failed bool, err error) {
	output := map[key]*strings.Builder{} // held until the test or package ends
	started := map[string]bool{}         // packages without a result yet
	var done []timing
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil || e.Action == "" {
			fmt.Fprintf(out, "%s\n", line) // not an event: a build error printed as is
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "start":
			started[e.Package] = true
		case "build-output": // a compile error, printed as it comes
			fmt.Fprint(out, e.Output)
		case "output":
			b := output[k]
			if b == nil {
				b = &strings.Builder{}
				output[k] = b
			}
			b.WriteString(e.Output)
		case "pass", "skip", "fail":
			if e.Action == "fail" {
				failed = true
				if b := output[k]; b != nil {
					fmt.Fprint(out, b.String())
				}
			}
			delete(output, k)
			if e.Test != "" {
				if e.Action != "skip" && !strings.Contains(e.Test, "/") {
					done = append(done, timing{e.Package, e.Test, e.Elapsed})
				}
				continue
			}
			delete(started, e.Package)
			switch e.Action {
			case "pass":
				fmt.Fprintf(out, "ok  \t%s\t%.1fs\n", e.Package, e.Elapsed)
			case "skip":
				fmt.Fprintf(out, "?   \t%s\t[no test files]\n", e.Package)
			} // a failed package's own output, printed above, ends with its FAIL line
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	for pkg := range started {
		failed = true
		fmt.Fprintf(out, "FAIL\t%s\t(no result: it did not build, or it crashed)\n", pkg)
		for k, b := range output {
			if k.pkg == pkg {
				fmt.Fprint(out, b.String())
			}
		}
	}
	sort.Slice(done, func(i, j int) bool { return done[i].elapsed > done[j].elapsed })
	if len(done) > top {
		done = done[:top]
	}
	fmt.Fprintf(out, "\nslowest tests:\n")
	for _, d := range done {
		fmt.Fprintf(out, "%7.1fs  %s  %s\n", d.elapsed, strings.TrimPrefix(d.pkg, "github.com/relaycrm/relay/"), d.test)
	}
	return failed, nil
}
