package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func fittedModel(t *testing.T) (*Additive, Dataset) {
	t.Helper()
	res, ds := fitSimulation(t, simulation{rows: 8_000, periods: 4, noise: 3, seed: 12}, 1, Options{Refit: true})
	c := res.Model.Card()
	c.Purpose, c.Target, c.Scope = "churn", "left within 6 months", "Bank North"
	return res.Model, ds
}

func TestModelFileRoundTrip(t *testing.T) {
	t.Parallel()
	m, ds := fittedModel(t)
	fixed, err := NewLinear(-2.5, []Weight{{"turnover_ratio", -0.7}, {"idle_months", 0.31}})
	if err != nil {
		t.Fatal(err)
	}
	fixed.Card().Purpose = "churn"
	for _, s := range []Scorer{m, fixed} {
		t.Run(s.Card().Kind, func(t *testing.T) {
			data, err := Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Unmarshal(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			again, err := Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, again) {
				t.Errorf("the model read back writes differently")
			}
			// Scored through a registry in another order, every row scores
			// exactly as with the original.
			registry := append([]string{"extra"}, ds.Inputs...)
			want, err := Bind(s, registry)
			if err != nil {
				t.Fatal(err)
			}
			got, err := back.Bind(registry)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float64, len(registry))
			out1, out2 := make([]float64, len(registry)), make([]float64, len(registry))
			for i := range ds.Rows() {
				ds.row(i, x[1:])
				if z1, z2 := want.Contributions(x, out1), got.Contributions(x, out2); z1 != z2 || !equalFloats(out1, out2) {
					t.Fatalf("row %d: z %v read back %v", i, z1, z2)
				}
			}
		})
	}
}

func equalFloats(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// endless is a reader that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestModelFileRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	m, _ := fittedModel(t)
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// edit decodes the good file, changes it and encodes it again.
	edit := func(change func(f map[string]any)) io.Reader {
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		change(f)
		out, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.NewReader(out)
	}
	shape := func(f map[string]any, i int) map[string]any { return f["shapes"].([]any)[i].(map[string]any) }
	manyShapes := func(n int) func(f map[string]any) {
		return func(f map[string]any) {
			var shapes []any
			for i := range n {
				shapes = append(shapes, map[string]any{"input": fmt.Sprint("x", i), "edges": nil, "coef": []any{0}, "missing": 0, "importance": 0})
			}
			f["shapes"] = shapes
		}
	}
	cases := []struct {
		name string
		file io.Reader
		want string
	}{
		{"not JSON", strings.NewReader("model"), "invalid character"},
		{"an endless file", io.MultiReader(strings.NewReader("{"), endless{}), "larger than"},
		{"data after the model", io.MultiReader(bytes.NewReader(data), strings.NewReader("{}")), "data after the model"},
		{"another format", edit(func(f map[string]any) { f["format"] = "pickle" }), "format"},
		{"a newer version", edit(func(f map[string]any) { f["version"] = 2 }), "version: 2"},
		{"an unknown kind", edit(func(f map[string]any) { f["card"].(map[string]any)["kind"] = "forest" }), "card.kind"},
		{"an unknown field", edit(func(f map[string]any) { f["trees"] = 1 }), `unknown field "trees"`},
		{"edges not increasing", edit(func(f map[string]any) {
			e := shape(f, 1)["edges"].([]any)
			e[3] = e[2]
		}), "shapes[1].edges[3]: "},
		{"too few coefficients", edit(func(f map[string]any) {
			s := shape(f, 1)
			s["coef"] = s["coef"].([]any)[1:]
		}), "shapes[1].coef: "},
		{"a coefficient out of range", edit(func(f map[string]any) { shape(f, 0)["coef"].([]any)[0] = 1e300 }), "shapes[0].coef[0]"},
		{"a number beyond float64", strings.NewReader(strings.Replace(string(data), `"intercept": `, `"intercept": 1e999, "x": `, 1)), "intercept"},
		{"a NaN", strings.NewReader(strings.Replace(string(data), `"missing": `, `"missing": NaN, "x": `, 1)), "invalid character"},
		{"too many bins", edit(func(f map[string]any) {
			s := shape(f, 0)
			var edges, coef []any
			for i := range 300 {
				edges = append(edges, i)
				coef = append(coef, 0)
			}
			s["edges"], s["coef"] = edges, append(coef, 0)
		}), "shapes[0].edges: 300 edges"},
		{"too many inputs", edit(manyShapes(MaxInputs + 1)), "shapes: 1001 inputs"},
		{"no inputs", edit(manyShapes(0)), "shapes: 0 inputs"},
		{"an input twice", edit(func(f map[string]any) { shape(f, 1)["input"] = shape(f, 0)["input"] }), `shapes[1].input: input "idle_months" appears twice`},
		{"an input without a code", edit(func(f map[string]any) { shape(f, 2)["input"] = "" }), "shapes[2].input"},
		{"weights in an additive model", edit(func(f map[string]any) { f["weights"] = []any{map[string]any{"input": "a", "weight": 1}} }), "weights: an additive model"},
		{"an AUC above 1", edit(func(f map[string]any) { f["card"].(map[string]any)["test"].(map[string]any)["auc"] = 1.5 }), "card.test.auc"},
		{"more positives than rows", edit(func(f map[string]any) { f["card"].(map[string]any)["positives"] = 1e9 }), "card.rows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Unmarshal(c.file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	t.Run("a refusal is a FileError naming the field", func(t *testing.T) {
		_, err := Unmarshal(edit(func(f map[string]any) { f["version"] = 9 }))
		var fe *FileError
		if !errors.As(err, &fe) || fe.Field != "version" {
			t.Errorf("error %#v, want a FileError on version", err)
		}
	})
}
