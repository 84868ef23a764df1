package imports

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
)

// gate is a reader that blocks until it is opened, then reads from r: a
// file still arriving.
type gate struct {
	open chan struct{}
	r    io.Reader
}

func (g *gate) Read(p []byte) (int, error) {
	<-g.open
	return g.r.Read(p)
}

// While an import runs, its record says how far it is, file by file: what
// the imports page shows.
func TestProgressIsRecordedWhileTheImportRuns(t *testing.T) {
	t.Parallel()
	defer func(d time.Duration) { ProgressEvery = d }(ProgressEvery)
	ProgressEvery = 20 * time.Millisecond
	pool := dbtest.New(t)
	feed := readFeed(t, exampleFeed)
	clients := feed["clients.csv"]
	cut := bytes.Index(clients, []byte("\nBN,C-1003")) + 1 // the header and two clients first
	g := &gate{open: make(chan struct{}), r: bytes.NewReader(clients[cut:])}
	fs := files(feed)
	for i := range fs {
		if fs[i].Name == "clients.csv" {
			fs[i].Body = io.MultiReader(bytes.NewReader(clients[:cut]), g)
		}
	}
	var ticks []Progress
	done := make(chan Result)
	go func() {
		res, err := Import(context.Background(), pool, fs, Options{Origin: "test", Progress: func(p Progress) { ticks = append(ticks, p) }})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	var running Record
	for deadline := time.Now().Add(20 * time.Second); ; {
		recs, _, err := List(context.Background(), pool, ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 1 && recs[0].Status == Running && len(recs[0].Progress.Files) > 0 && progressOf(recs[0].Progress, "clients.csv").Read == 2 {
			running = recs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress recorded: %+v", recs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(g.open)
	res := <-done
	if res.Status != Applied {
		t.Fatalf("status %s: %v", res.Status, res.Errors)
	}
	p := running.Progress
	if p.Step != "reading clients.csv" || len(p.Files) != len(Kinds) || running.Rows < 2 {
		t.Errorf("progress while clients.csv arrives: %+v (rows %d)", p, running.Rows)
	}
	if b := progressOf(p, "banks.csv"); !b.Checked || b.Read != 2 || b.Valid != 2 || b.Applied != 0 {
		t.Errorf("banks.csv while clients.csv arrives: %+v", b)
	}
	if c := progressOf(p, "clients.csv"); c.Checked || c.Valid != 2 {
		t.Errorf("clients.csv while it arrives: %+v", c)
	}
	told := false
	for _, p := range ticks {
		told = told || strings.Contains(p.String(), "reading clients.csv; ") && strings.Contains(p.String(), "clients.csv: 2 rows read, 2 valid")
	}
	if !told {
		t.Errorf("the caller was not told how far clients.csv was (%d reports)", len(ticks))
	}
}

func progressOf(p Progress, name string) FileProgress {
	for _, f := range p.Files {
		if f.Name == name {
			return f
		}
	}
	return FileProgress{}
}
