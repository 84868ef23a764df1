package model

import (
	"fmt"
	"math"
	"slices"
)

// Weight is one input's weight in a Linear model.
type Weight struct {
	Input  string  `json:"input"`
	Weight float64 `json:"weight"`
}

// Linear is a model whose log-odds are an intercept plus a weight times each
// input: the published fixed weights. A missing (NaN) input contributes 0.
type Linear struct {
	card      Card
	intercept float64
	weights   []Weight
}

// NewLinear makes a Linear model. Weights must be finite and name distinct,
// non-empty inputs.
func NewLinear(intercept float64, weights []Weight) (*Linear, error) {
	if !finite(intercept) {
		return nil, fmt.Errorf("linear model: intercept %v is not finite", intercept)
	}
	seen := make(map[string]bool, len(weights))
	for i, w := range weights {
		if w.Input == "" {
			return nil, fmt.Errorf("linear model: weight %d names no input", i)
		}
		if seen[w.Input] {
			return nil, fmt.Errorf("linear model: input %q weighed twice", w.Input)
		}
		seen[w.Input] = true
		if !finite(w.Weight) {
			return nil, fmt.Errorf("linear model: input %q: weight %v is not finite", w.Input, w.Weight)
		}
	}
	return &Linear{card: Card{Kind: KindLinear}, intercept: intercept, weights: slices.Clone(weights)}, nil
}

// Inputs lists the inputs the model weighs.
func (m *Linear) Inputs() []string {
	codes := make([]string, len(m.weights))
	for k, w := range m.weights {
		codes[k] = w.Input
	}
	return codes
}

// Weights returns a copy of the weights.
func (m *Linear) Weights() []Weight { return slices.Clone(m.weights) }

// Intercept is the log-odds when every input is zero or missing.
func (m *Linear) Intercept() float64 { return m.intercept }

// Contribution is input k's weight times v, 0 when v is missing.
func (m *Linear) Contribution(k int, v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return m.weights[k].Weight * v
}

// Contributions writes each input's contribution to out (when not nil) and
// returns the log-odds.
func (m *Linear) Contributions(x, out []float64) float64 {
	return contributions(m, len(m.weights), x, out)
}

// Bind maps the model's inputs onto inputs by code.
func (m *Linear) Bind(inputs []string) (*Bound, error) { return Bind(m, inputs) }

// Card describes the model; the caller sets its purpose, target and scope.
func (m *Linear) Card() *Card { return &m.card }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
