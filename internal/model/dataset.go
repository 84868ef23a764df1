package model

import (
	"fmt"
	"math"
)

// Dataset is a table of rows to fit or test a model on, stored column by
// column: Cols[k][i] is input Inputs[k] of row i, NaN when it is missing.
type Dataset struct {
	Inputs []string    // input codes, unique
	Cols   [][]float64 // one column per input, each with one value per row; NaN = missing
	Y      []bool      // the outcome of each row
	// W weighs each row, e.g. 1 / its sampling rate when stayers were sampled;
	// nil weighs every row 1.
	W []float64
	// Period is each row's period (e.g. a month index): the latest periods are
	// the out-of-time test.
	Period []int
	// Entity optionally names the entity (client) of each row, to count the
	// distinct entities a model was fitted on; nil when unknown.
	Entity []int64
}

// Rows is the number of rows.
func (ds *Dataset) Rows() int { return len(ds.Y) }

// Validate checks that every column, weight, period and entity has one value
// per row, that input codes are unique and not empty, that values are NaN or
// finite and that weights are finite and positive. Its error names the input,
// the column or the row.
func (ds *Dataset) Validate() error {
	n := len(ds.Y)
	if len(ds.Cols) != len(ds.Inputs) {
		return fmt.Errorf("dataset: %d inputs but %d columns", len(ds.Inputs), len(ds.Cols))
	}
	seen := make(map[string]bool, len(ds.Inputs))
	for k, code := range ds.Inputs {
		if code == "" {
			return fmt.Errorf("dataset: input %d has no code", k)
		}
		if seen[code] {
			return fmt.Errorf("dataset: input %q appears twice", code)
		}
		seen[code] = true
		if len(ds.Cols[k]) != n {
			return fmt.Errorf("dataset: input %q has %d values for %d rows", code, len(ds.Cols[k]), n)
		}
		for i, v := range ds.Cols[k] {
			if math.IsInf(v, 0) {
				return fmt.Errorf("dataset: input %q, row %d: infinite value", code, i)
			}
		}
	}
	if ds.W != nil {
		if len(ds.W) != n {
			return fmt.Errorf("dataset: %d weights for %d rows", len(ds.W), n)
		}
		for i, w := range ds.W {
			if !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("dataset: row %d: weight %v is not finite and positive", i, w)
			}
		}
	}
	if len(ds.Period) != n {
		return fmt.Errorf("dataset: %d periods for %d rows", len(ds.Period), n)
	}
	if ds.Entity != nil && len(ds.Entity) != n {
		return fmt.Errorf("dataset: %d entities for %d rows", len(ds.Entity), n)
	}
	return nil
}

// weight is row i's weight.
func (ds *Dataset) weight(i int) float64 {
	if ds.W == nil {
		return 1
	}
	return ds.W[i]
}

// row copies row i's values into x, in input order.
func (ds *Dataset) row(i int, x []float64) {
	for k, col := range ds.Cols {
		x[k] = col[i]
	}
}
