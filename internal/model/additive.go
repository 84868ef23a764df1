package model

import (
	"math"
	"slices"
	"sort"
)

// Additive is a fitted additive model: its log-odds are an intercept plus,
// for each input, the coefficient of the bin the input's value falls in.
// Contributions are centred on the rows it was fitted on (see the package
// comment), so the intercept is the log-odds of an average row.
type Additive struct {
	card      Card
	intercept float64
	shapes    []Shape
}

// Shape is what one input contributes to an additive model's log-odds, bin by
// bin.
type Shape struct {
	Input string `json:"input"`
	// Edges are the bins' upper edges, strictly increasing: bin 0 holds values
	// up to Edges[0], bin k values above Edges[k-1] up to Edges[k], and the
	// last bin (len(Edges)) every value above the last edge.
	Edges []float64 `json:"edges"`
	// Coef is each bin's contribution, len(Edges)+1 of them, centred so that
	// the weighted mean contribution over the rows fitted on is 0.
	Coef []float64 `json:"coef"`
	// Missing is the contribution of a missing value (0 when the rows fitted
	// on had none: a missing value then says nothing).
	Missing float64 `json:"missing"`
	// Importance is the weighted mean absolute contribution over the rows
	// fitted on, on the log-odds scale.
	Importance float64 `json:"importance"`
}

// Bin is the bin value v falls in, -1 when v is missing.
func (s *Shape) Bin(v float64) int {
	if math.IsNaN(v) {
		return -1
	}
	return binOf(s.Edges, v)
}

// Contribution is what value v adds to the log-odds.
func (s *Shape) Contribution(v float64) float64 {
	if math.IsNaN(v) {
		return s.Missing
	}
	return s.Coef[binOf(s.Edges, v)]
}

// binOf is the bin of a non-missing v: the first edge at or above v.
func binOf(edges []float64, v float64) int {
	// A linear scan beats sort.Search for the few edges a shape has.
	if len(edges) <= 16 {
		for k, e := range edges {
			if v <= e {
				return k
			}
		}
		return len(edges)
	}
	return sort.SearchFloat64s(edges, v)
}

// Inputs lists the inputs the model reads.
func (m *Additive) Inputs() []string {
	codes := make([]string, len(m.shapes))
	for k := range m.shapes {
		codes[k] = m.shapes[k].Input
	}
	return codes
}

// Intercept is the log-odds of a row whose every input contributes zero: an
// average row of those fitted on.
func (m *Additive) Intercept() float64 { return m.intercept }

// Contribution is what value v of input k adds to the log-odds.
func (m *Additive) Contribution(k int, v float64) float64 { return m.shapes[k].Contribution(v) }

// Contributions writes each input's contribution for x (in Inputs order) to
// out (when not nil) and returns the log-odds z = Intercept + sum(out).
func (m *Additive) Contributions(x, out []float64) float64 {
	return contributions(m, len(m.shapes), x, out)
}

// Bind maps the model's inputs onto inputs by code.
func (m *Additive) Bind(inputs []string) (*Bound, error) { return Bind(m, inputs) }

// Card describes the model; the caller sets its purpose, target and scope.
func (m *Additive) Card() *Card { return &m.card }

// Shapes returns a copy of every input's shape, in Inputs order.
func (m *Additive) Shapes() []Shape {
	out := make([]Shape, len(m.shapes))
	for k, s := range m.shapes {
		s.Edges = slices.Clone(s.Edges)
		s.Coef = slices.Clone(s.Coef)
		out[k] = s
	}
	return out
}
