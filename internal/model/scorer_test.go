package model

import (
	"math"
	"strings"
	"testing"
)

func fixedWeights(t *testing.T) *Linear {
	t.Helper()
	m, err := NewLinear(-2, []Weight{{"turnover_fall", 3}, {"no_contact", 1.5}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLinearScoresInterceptPlusWeightedInputs(t *testing.T) {
	t.Parallel()
	m := fixedWeights(t)
	out := make([]float64, 2)
	// −2 + 3·0.5 + 1.5·1 = 1; a missing input contributes nothing.
	cases := []struct {
		name    string
		x, want []float64
		z       float64
	}{
		{"both present", []float64{0.5, 1}, []float64{1.5, 1.5}, 1},
		{"one missing", []float64{math.NaN(), 1}, []float64{0, 1.5}, -0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			z := m.Contributions(c.x, out)
			if z != c.z || out[0] != c.want[0] || out[1] != c.want[1] {
				t.Errorf("z %v out %v, want %v %v", z, out, c.z, c.want)
			}
		})
	}
}

func TestBindReadsTheCallersOrder(t *testing.T) {
	t.Parallel()
	m := fixedWeights(t)
	// The caller's registry has more inputs, in another order.
	b, err := m.Bind([]string{"tenure", "no_contact", "complaints", "turnover_fall"})
	if err != nil {
		t.Fatal(err)
	}
	out := []float64{9, 9, 9, 9}
	z := b.Contributions([]float64{30, 1, 2, 0.5}, out)
	if z != 1 || out[0] != 0 || out[1] != 1.5 || out[2] != 0 || out[3] != 1.5 {
		t.Errorf("z %v out %v, want 1 and [0 1.5 0 1.5]", z, out)
	}
	if z2 := b.Contributions([]float64{30, 1, 2, 0.5}, nil); z2 != z {
		t.Errorf("without out z = %v, want %v", z2, z)
	}
}

func TestBindNamesTheMissingInput(t *testing.T) {
	t.Parallel()
	m := fixedWeights(t)
	_, err := m.Bind([]string{"turnover_fall", "tenure"})
	if err == nil || !strings.Contains(err.Error(), `"no_contact"`) {
		t.Errorf("error %v, want one naming no_contact", err)
	}
}

func TestNewLinearRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		weights []Weight
		want    string
	}{
		{"an unnamed input", []Weight{{"", 1}}, "names no input"},
		{"an input twice", []Weight{{"a", 1}, {"a", 2}}, `"a" weighed twice`},
		{"an infinite weight", []Weight{{"a", math.Inf(1)}}, "not finite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewLinear(0, c.weights); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestProbability(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ z, p float64 }{{0, 0.5}, {math.Log(3), 0.75}, {-math.Log(3), 0.25}, {-800, 0}, {800, 1}} {
		if got := Probability(c.z); !near(got, c.p, 1e-12) {
			t.Errorf("Probability(%v) = %v, want %v", c.z, got, c.p)
		}
	}
}
