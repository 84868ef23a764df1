package imports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaycrm/relay/internal/dbtest"
)

// zipOf zips files (name → content) at the fastest compression.
func zipOf(t *testing.T, files map[string]io.Reader) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for name, r := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// letters is n bytes of random letters: text that compresses about 1.6 to 1,
// as a real CSV of names might, so no ratio check catches it.
type letters struct {
	n   int
	rnd *rand.Rand
}

func (l *letters) Read(p []byte) (int, error) {
	if l.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), l.n)
	for i := range k {
		p[i] = byte('a' + l.rnd.IntN(26))
	}
	l.n -= k
	return k, nil
}

// importZipMeasured imports a zip and returns the result, the time it took
// and the bytes the Go process allocated meanwhile.
func importZipMeasured(t *testing.T, z []byte) (Result, time.Duration, uint64) {
	t.Helper()
	pool := dbtest.New(t)
	loadReference(t, pool)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := ImportZip(context.Background(), pool, bytes.NewReader(z), int64(len(z)), Options{Source: SourceUpload, Origin: "bomb.zip"})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res, took, after.TotalAlloc - before.TotalAlloc
}

// A 64 KB zip holding one line of 64 MB (a thousandfold expansion) is
// refused before a byte of it is inflated.
func TestZipBombIsRefusedBeforeItExpands(t *testing.T) {
	// Not parallel: it measures the whole process's allocations.
	header := "bank,ref,tax_id,legal_name,branch,region,industry,size_band,since,left_on,manager\n"
	z := zipOf(t, map[string]io.Reader{"clients.csv": io.MultiReader(strings.NewReader(header+"BN,C-1,BG1,"),
		io.LimitReader(repeatByte('A'), 64<<20))})
	if len(z) > 256<<10 {
		t.Fatalf("the bomb is %d KB; the test wants a small one", len(z)>>10)
	}
	res, took, alloc := importZipMeasured(t, z)
	if res.Status != Rejected || res.ErrorCount != 1 || res.Errors[0].File != "clients.csv" ||
		!strings.Contains(res.Errors[0].Message, "refused as a zip bomb") {
		t.Fatalf("status %s, errors %v", res.Status, res.Errors)
	}
	if took > 5*time.Second || alloc > 16<<20 {
		t.Errorf("refusing a %d KB zip took %v and %d MB of allocations", len(z)>>10, took, alloc>>20)
	}
}

// A zip of 21 MB that expands normally but holds one line of 32 MB is refused
// at the line, quickly and without reading the line into memory.
func TestHugeLineIsRefusedQuicklyInBoundedMemory(t *testing.T) {
	// Not parallel: it measures the whole process's allocations.
	header := "bank,ref,tax_id,legal_name,branch,region,industry,size_band,since,left_on,manager\n"
	z := zipOf(t, map[string]io.Reader{"clients.csv": io.MultiReader(strings.NewReader(header+"BN,C-1,BG1,"),
		&letters{n: 32 << 20, rnd: rand.New(rand.NewPCG(1, 2))})})
	res, took, alloc := importZipMeasured(t, z)
	if res.Status != Rejected || res.ErrorCount != 1 || res.Errors[0].File != "clients.csv" || res.Errors[0].Line != 2 ||
		!strings.Contains(res.Errors[0].Message, "is longer than 65536 bytes") {
		t.Fatalf("status %s, errors %v", res.Status, res.Errors)
	}
	if took > 5*time.Second || alloc > 16<<20 {
		t.Errorf("refusing a line of 32 MB took %v and %d MB of allocations", took, alloc>>20)
	}
	t.Logf("a %d MB zip with a 32 MB line: refused in %v with %.1f MB allocated", len(z)>>20, took, float64(alloc)/(1<<20))
}

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
