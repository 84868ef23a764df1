package model

import (
	"math"
	"strings"
	"testing"
)

func TestDatasetValidate(t *testing.T) {
	t.Parallel()
	good := func() Dataset {
		return Dataset{
			Inputs: []string{"a", "b"},
			Cols:   [][]float64{{1, math.NaN()}, {0, 1}},
			Y:      []bool{true, false},
			W:      []float64{1, 20},
			Period: []int{1, 2},
		}
	}
	cases := []struct {
		name   string
		break_ func(*Dataset)
		want   string
	}{
		{"valid, a missing value included", func(*Dataset) {}, ""},
		{"a column too short", func(d *Dataset) { d.Cols[1] = d.Cols[1][:1] }, `input "b" has 1 values for 2 rows`},
		{"an input twice", func(d *Dataset) { d.Inputs[1] = "a" }, `input "a" appears twice`},
		{"an infinite value", func(d *Dataset) { d.Cols[0][0] = math.Inf(-1) }, `input "a", row 0: infinite`},
		{"a zero weight", func(d *Dataset) { d.W[1] = 0 }, "row 1: weight 0"},
		{"a NaN weight", func(d *Dataset) { d.W[0] = math.NaN() }, "row 0: weight NaN"},
		{"periods missing", func(d *Dataset) { d.Period = nil }, "0 periods for 2 rows"},
		{"columns and inputs differ", func(d *Dataset) { d.Inputs = d.Inputs[:1] }, "1 inputs but 2 columns"},
		{"entities too few", func(d *Dataset) { d.Entity = []int64{7} }, "1 entities for 2 rows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds := good()
			c.break_(&ds)
			err := ds.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}
