package model

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFit fits, tests and refits an additive model on 400,000 rows x 50
// inputs over 12 periods (2 tested), as the nightly fit does on a sample of a
// large bank, and reports the time and the peak Go heap, data set included.
func BenchmarkFit(b *testing.B) {
	const rows, inputs = 400_000, 50
	ds := simulation{rows: rows, periods: 12, noise: inputs - 3, seed: 1}.dataset()
	runtime.GC()
	base := heapBytes()
	b.ResetTimer()
	for range b.N {
		peak := watchHeap()
		start, cpu := time.Now(), cpuSeconds()
		res, err := Fit(ds, 2, Options{Refit: true})
		elapsed, cpu := time.Since(start), cpuSeconds()-cpu
		top := peak()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(elapsed.Seconds(), "s/fit")
		b.ReportMetric(cpu, "cpu-s/fit")
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(top)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(base)/(1<<20), "dataset-heap-MB")
		b.ReportMetric(res.Test.AUC, "test-AUC")
		b.ReportMetric(res.Test.Lift10, "test-lift10")
		b.ReportMetric(plantedTestAUC(ds, res.TestPeriods), "truth-test-AUC")
		b.Logf("smoothing %v (%s); search %+v", res.Model.Card().Smooth, res.Model.Card().SmoothChosenBy, res.Model.Card().SmoothSearch)
	}
}

// plantedTestAUC is the AUC on the test rows of the model the rows were
// drawn from: the best any fit can do.
func plantedTestAUC(ds Dataset, testPeriods []int) float64 {
	var p []float64
	var y []bool
	for i := range ds.Rows() {
		if ds.Period[i] >= testPeriods[0] {
			p = append(p, Probability(plantedLogOdds(ds.Cols[0][i], ds.Cols[1][i], ds.Cols[2][i])))
			y = append(y, ds.Y[i])
		}
	}
	return Evaluate(p, y, nil).AUC
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// watchHeap samples the heap every 10 ms until the returned function is
// called, which gives the highest value seen.
func watchHeap() func() uint64 {
	var mu sync.Mutex
	var top uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			h := heapBytes()
			mu.Lock()
			top = max(top, h)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return max(top, heapBytes())
	}
}

// BenchmarkObjective times one pass of the fit's objective and gradient over
// 100,000 rows x 50 inputs, in CPU time per cell so that a busy machine does
// not blur it.
func BenchmarkObjective(b *testing.B) {
	ds := simulation{rows: 100_000, periods: 12, noise: 47, seed: 1}.dataset()
	rows := allRows(ds.Rows())
	edges := make([][]float64, len(ds.Inputs))
	for k, col := range ds.Cols {
		edges[k], _ = quantileEdges(col, ds.W, rows, 16, nil)
	}
	br := binRows(&ds, rows, edges)
	o := newObjective(br, 0, br.n, 0.01, 1)
	x := make([]float64, br.dim)
	b.ResetTimer()
	cpu := cpuSeconds()
	for i := range b.N {
		x[0] = float64(i) * 1e-9 // a new point each time, past the cache
		o.eval(x)
	}
	b.ReportMetric((cpuSeconds()-cpu)*1e9/float64(b.N)/float64(br.n*br.inputs), "cpu-ns/cell")
}

// cpuSeconds is the CPU time this process has used, in user mode.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
}
