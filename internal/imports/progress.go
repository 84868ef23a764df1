package imports

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Progress is where an import under way stands: the step it is at and, per
// file, the rows read, the rows that passed their checks and the rows applied.
// The imports page shows it and `relay import` prints it.
type Progress struct {
	Step  string         `json:"step"`
	Files []FileProgress `json:"files"`
}

// FileProgress is how far an import is with one file.
type FileProgress struct {
	Name    string `json:"name"`
	Read    int64  `json:"read"`
	Valid   int64  `json:"valid"`
	Applied int64  `json:"applied"`
	// Checked says the file has been read and checked whole.
	Checked bool `json:"checked"`
}

// Rows is the rows read so far, in every file.
func (p Progress) Rows() int64 {
	var n int64
	for _, f := range p.Files {
		n += f.Read
	}
	return n
}

// String says it in a line: the step, and the file being read with its rows
// read and valid so far.
func (p Progress) String() string {
	var b strings.Builder
	b.WriteString(p.Step)
	for _, f := range p.Files {
		if f.Read > 0 && !f.Checked {
			fmt.Fprintf(&b, "; %s: %d rows read, %d valid", f.Name, f.Read, f.Valid)
		}
	}
	return b.String()
}

// tracker counts an import's progress: the readers add to per-file atomic
// counters at every row (a few nanoseconds), and a reporter reads a snapshot
// every ProgressEvery.
type tracker struct {
	mu    sync.Mutex
	step  string
	files []FileProgress
	read  []atomic.Int64
	bad   []atomic.Int64
}

// ProgressEvery is how often an import's progress is recorded and reported.
var ProgressEvery = time.Second

func (t *tracker) setFiles(names []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.files = make([]FileProgress, len(names))
	for i, n := range names {
		t.files[i].Name = n
	}
	t.read = make([]atomic.Int64, len(names))
	t.bad = make([]atomic.Int64, len(names))
}

func (t *tracker) setStep(step string) {
	t.mu.Lock()
	t.step = step
	t.mu.Unlock()
}

// checked marks file i as read and checked whole.
func (t *tracker) checked(i int) {
	t.mu.Lock()
	t.files[i].Checked = true
	t.mu.Unlock()
}

func (t *tracker) applied(i int, rows int64) {
	t.mu.Lock()
	t.files[i].Applied = rows
	t.mu.Unlock()
}

func (t *tracker) snapshot() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := Progress{Step: t.step, Files: make([]FileProgress, len(t.files))}
	copy(p.Files, t.files)
	for i := range p.Files {
		p.Files[i].Read = t.read[i].Load()
		p.Files[i].Valid = p.Files[i].Read - t.bad[i].Load()
	}
	return p
}

// report records the import's progress every ProgressEvery (on a connection
// of its own: the import's is busy) and tells onTick, until stop is closed.
func (t *tracker) report(ctx context.Context, pool *pgxpool.Pool, id int64, onTick func(Progress), stop <-chan struct{}) {
	tick := time.NewTicker(ProgressEvery)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		p := t.snapshot()
		if b, err := json.Marshal(p); err == nil {
			// A lost progress line is harmless: the next one follows.
			_, _ = pool.Exec(ctx, records.Get("progress-record"), id, b, p.Rows())
		}
		if onTick != nil {
			onTick(p)
		}
	}
}
