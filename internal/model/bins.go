package model

import (
	"math"
	"slices"
)

// valueWeight is one non-missing value and its row's weight.
type valueWeight struct{ v, w float64 }

// quantileEdges returns the upper edges of at most maxBins bins of the
// non-missing values of col over rows, cut at the values' weighted quantiles
// 1/maxBins, 2/maxBins, ...: each edge is the smallest value whose cumulative
// weight reaches its quantile. Equal edges merge, and edges at or above the
// largest value go (their bin above would be empty), so a 0/1 input gets one
// edge (two bins) and an input with one distinct value none. buf is scratch
// space, returned for reuse.
func quantileEdges(col, w []float64, rows []int, maxBins int, buf []valueWeight) ([]float64, []valueWeight) {
	buf = buf[:0]
	total := 0.0
	for _, i := range rows {
		v := col[i]
		if math.IsNaN(v) {
			continue
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		buf = append(buf, valueWeight{v, wi})
		total += wi
	}
	if len(buf) == 0 {
		return nil, buf
	}
	// NaN is left out above, so a plain comparison orders the values (and is
	// cheaper than cmp.Compare, which checks for it).
	slices.SortFunc(buf, func(a, b valueWeight) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	maxV := buf[len(buf)-1].v
	var edges []float64
	cum, at := 0.0, 0
	for q := 1; q < maxBins; q++ {
		// A relative tolerance keeps sums of equal weights from missing an
		// exact quantile by a rounding error.
		target := total * float64(q) / float64(maxBins) * (1 - 1e-12)
		for at < len(buf) && cum+buf[at].w < target {
			cum += buf[at].w
			at++
		}
		if at == len(buf) {
			break
		}
		e := buf[at].v
		if e >= maxV {
			break
		}
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return edges, buf
}

// binnedRows holds the rows a model is fitted on with every cell reduced to
// its bin, row by row, so that one pass of the fit is a walk over bytes and
// table look-ups.
type binnedRows struct {
	n, inputs int
	cells     []uint8   // n*inputs: row i's bin of input k at i*inputs+k; the missing bin is nb[k]
	nb        []int     // value bins per input
	off       []int     // off[k]: index of input k's first coefficient (0 is the intercept)
	dim       int       // number of coefficients, intercept included
	y         []float64 // 1 for a positive row, 0 otherwise
	w         []float64
	period    []int
}

// binRows bins ds's rows (in the given order) by edges, one slice of edges
// per input.
func binRows(ds *Dataset, rows []int, edges [][]float64) *binnedRows {
	K := len(ds.Inputs)
	b := &binnedRows{
		n: len(rows), inputs: K,
		cells:  make([]uint8, len(rows)*K),
		nb:     make([]int, K),
		off:    make([]int, K),
		y:      make([]float64, len(rows)),
		w:      make([]float64, len(rows)),
		period: make([]int, len(rows)),
	}
	b.dim = 1
	for k := range K {
		b.nb[k] = len(edges[k]) + 1
		b.off[k] = b.dim
		b.dim += b.nb[k] + 1 // the value bins and the missing bin
	}
	for r, i := range rows {
		if ds.Y[i] {
			b.y[r] = 1
		}
		b.w[r] = ds.weight(i)
		b.period[r] = ds.Period[i]
	}
	for k, col := range ds.Cols {
		e, missing := edges[k], uint8(b.nb[k])
		for r, i := range rows {
			v := col[i]
			bin := missing
			if !math.IsNaN(v) {
				bin = uint8(binOf(e, v))
			}
			b.cells[r*K+k] = bin
		}
	}
	return b
}
