package model

import (
	"fmt"
	"math"
)

// Scorer is a model that scores a row of inputs on the log-odds scale as an
// intercept plus one contribution per input, so that every model is scored,
// evaluated and explained the same way.
type Scorer interface {
	// Inputs lists the codes of the inputs the model reads, in its own order.
	Inputs() []string
	// Intercept is the log-odds of a row whose every contribution is zero.
	Intercept() float64
	// Contribution is what value v of input k (in Inputs order) adds to the
	// log-odds.
	Contribution(k int, v float64) float64
	// Contributions writes each input's contribution for x (in Inputs order)
	// to out (when not nil) and returns the log-odds: Intercept plus their sum.
	Contributions(x, out []float64) float64
	// Bind maps the model's inputs onto a caller's inputs by code.
	Bind(inputs []string) (*Bound, error)
	// Card describes the model.
	Card() *Card
}

// contributions is Contributions for a scorer of n inputs.
func contributions(s Scorer, n int, x, out []float64) float64 {
	z := s.Intercept()
	for k := range n {
		c := s.Contribution(k, x[k])
		if out != nil {
			out[k] = c
		}
		z += c
	}
	return z
}

// Probability turns log-odds z into a probability.
func Probability(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Bound is a Scorer bound to a caller's order of inputs: it reads a row in
// that order, so a model fitted on one installation scores another whose
// registry holds more inputs, or the same in another order.
type Bound struct {
	s      Scorer
	pos    []int // pos[k]: where the model's input k sits in the caller's row
	inputs []string
}

// Bind maps s's inputs onto inputs (the caller's order) by code. Its error
// names the first input the model needs that inputs lacks.
func Bind(s Scorer, inputs []string) (*Bound, error) {
	at := make(map[string]int, len(inputs))
	for i, code := range inputs {
		if _, dup := at[code]; dup {
			return nil, fmt.Errorf("bind: input %q appears twice", code)
		}
		at[code] = i
	}
	own := s.Inputs()
	pos := make([]int, len(own))
	for k, code := range own {
		i, ok := at[code]
		if !ok {
			return nil, fmt.Errorf("bind: the model needs input %q, which is not among the %d inputs given", code, len(inputs))
		}
		pos[k] = i
	}
	return &Bound{s: s, pos: pos, inputs: inputs}, nil
}

// Scorer is the model bound.
func (b *Bound) Scorer() Scorer { return b.s }

// Contributions reads x in the caller's order of inputs, writes each input's
// contribution to out (when not nil; same order, 0 for inputs the model does
// not read) and returns the log-odds.
func (b *Bound) Contributions(x, out []float64) float64 {
	if out != nil {
		clear(out[:len(b.inputs)])
	}
	z := b.s.Intercept()
	for k, p := range b.pos {
		c := b.s.Contribution(k, x[p])
		if out != nil {
			out[p] = c
		}
		z += c
	}
	return z
}

// Probabilities scores every row of ds with s and returns each row's
// probability.
func Probabilities(s Scorer, ds *Dataset) ([]float64, error) {
	b, err := Bind(s, ds.Inputs)
	if err != nil {
		return nil, err
	}
	return b.probabilities(ds, allRows(ds.Rows())), nil
}

// probabilities scores the given rows of ds.
func (b *Bound) probabilities(ds *Dataset, rows []int) []float64 {
	p := make([]float64, len(rows))
	for r, i := range rows {
		z := b.s.Intercept()
		for k, at := range b.pos {
			z += b.s.Contribution(k, ds.Cols[at][i])
		}
		p[r] = Probability(z)
	}
	return p
}

func allRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
