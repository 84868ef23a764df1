package model

import (
	"math"
	"slices"
	"testing"
)

func TestQuantileEdges(t *testing.T) {
	t.Parallel()
	seq := func(lo, hi int) []float64 {
		var v []float64
		for i := lo; i <= hi; i++ {
			v = append(v, float64(i))
		}
		return v
	}
	cases := []struct {
		name    string
		col, w  []float64
		maxBins int
		want    []float64
	}{
		// 1..160 in 16 bins: the k/16 quantile is the value 10k, the last
		// edge below the maximum 150.
		{"evenly spread values", seq(1, 160), nil, 16, []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150}},
		// A 0/1 flag: every quantile is 0 or 1; the 1s are the maximum, so
		// one edge, two bins.
		{"a 0/1 flag gets two bins", []float64{0, 0, 0, 1, 1, 0, 1, 0}, nil, 16, []float64{0}},
		{"one distinct value gets one bin", []float64{7, 7, 7, 7}, nil, 16, nil},
		{"missing values are left out", []float64{math.NaN(), 1, 2, math.NaN(), 3, 4}, nil, 2, []float64{2}},
		// Weights move the quantiles: 1 weighs 3, so the median is 1.
		{"weights count as rows", []float64{1, 2, 3}, []float64{3, 1, 1}, 2, []float64{1}},
		// 80% zeros: the first twelve sixteenths are all 0 and merge.
		{"a mass at zero merges", append(make([]float64, 80), seq(1, 20)...), nil, 10, []float64{0, 10}},
		{"all missing", []float64{math.NaN(), math.NaN()}, nil, 16, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := quantileEdges(c.col, c.w, allRows(len(c.col)), c.maxBins, nil)
			if !slices.Equal(got, c.want) {
				t.Errorf("edges %v, want %v", got, c.want)
			}
		})
	}
}

func TestShapeBins(t *testing.T) {
	t.Parallel()
	s := Shape{Edges: []float64{0, 10}, Coef: []float64{-1, 0, 2}, Missing: 0.5}
	cases := []struct {
		v    float64
		bin  int
		want float64
	}{
		{-5, 0, -1}, {0, 0, -1}, {0.1, 1, 0}, {10, 1, 0}, {10.1, 2, 2}, {math.NaN(), -1, 0.5},
	}
	for _, c := range cases {
		if b, got := s.Bin(c.v), s.Contribution(c.v); b != c.bin || got != c.want {
			t.Errorf("value %v: bin %d contribution %v, want %d and %v", c.v, b, got, c.bin, c.want)
		}
	}
}
