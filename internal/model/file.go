package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// The model file's limits: Unmarshal refuses anything beyond them.
const (
	FileFormat     = "relay-model"
	FileVersion    = 1
	MaxFileBytes   = 16 << 20 // 16 MiB
	MaxInputs      = 1000
	MaxBins        = 255  // value bins of one input
	maxCoefficient = 1e6  // on the log-odds scale; a fitted one is within ±50
	maxListed      = 1000 // periods, smoothing trials, thresholds on a card
	maxCodeBytes   = 200
)

// file is a model as it is written: its card, intercept, and either the
// additive model's shapes or the linear model's weights.
type file struct {
	Format    string   `json:"format"`
	Version   int      `json:"version"`
	Card      Card     `json:"card"`
	Intercept float64  `json:"intercept"`
	Shapes    []Shape  `json:"shapes,omitempty"`
	Weights   []Weight `json:"weights,omitempty"`
}

// Marshal writes a model (card and coefficients) as versioned JSON. Numbers
// are written exactly, so the model Unmarshal reads back scores exactly as
// this one.
func Marshal(s Scorer) ([]byte, error) {
	f := file{Format: FileFormat, Version: FileVersion, Intercept: s.Intercept()}
	switch m := s.(type) {
	case *Additive:
		f.Card, f.Shapes = m.card, m.shapes
		f.Card.Kind = KindAdditive
	case *Linear:
		f.Card, f.Weights = m.card, m.weights
		f.Card.Kind = KindLinear
	default:
		return nil, fmt.Errorf("model file: cannot write a %T", s)
	}
	return json.MarshalIndent(f, "", "  ")
}

// FileError is what is wrong with a model file, and where.
type FileError struct {
	Field   string // e.g. "shapes[3].edges[5]"; empty for the file as a whole
	Problem string
}

func (e *FileError) Error() string {
	if e.Field == "" {
		return "model file: " + e.Problem
	}
	return "model file: " + e.Field + ": " + e.Problem
}

// Unmarshal reads a model written by Marshal, treating the file as hostile:
// it reads at most MaxFileBytes, refuses unknown fields, trailing data,
// another format or version, an unknown kind, more than MaxInputs inputs or
// MaxBins bins, edges that do not strictly increase, coefficient counts that
// do not match the bins and numbers out of range. Errors are *FileError or
// name the field JSON could not read.
func Unmarshal(r io.Reader) (Scorer, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, &FileError{Problem: fmt.Sprintf("larger than %d bytes", MaxFileBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &FileError{Problem: "data after the model"}
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	switch f.Card.Kind {
	case KindAdditive:
		return &Additive{card: f.Card, intercept: f.Intercept, shapes: f.Shapes}, nil
	default:
		m, err := NewLinear(f.Intercept, f.Weights)
		if err != nil {
			return nil, &FileError{Field: "weights", Problem: err.Error()}
		}
		m.card = f.Card
		return m, nil
	}
}

func (f *file) check() error {
	bad := func(field, format string, args ...any) error {
		return &FileError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if f.Format != FileFormat {
		return bad("format", "%q, want %q", f.Format, FileFormat)
	}
	if f.Version != FileVersion {
		return bad("version", "%d, this Relay reads version %d", f.Version, FileVersion)
	}
	if err := checkNumber("intercept", f.Intercept, maxCoefficient); err != nil {
		return err
	}
	if err := f.Card.check(); err != nil {
		return err
	}
	var codes []string
	switch f.Card.Kind {
	case KindAdditive:
		if f.Weights != nil {
			return bad("weights", "an additive model has shapes, not weights")
		}
		if len(f.Shapes) == 0 || len(f.Shapes) > MaxInputs {
			return bad("shapes", "%d inputs, want 1 to %d", len(f.Shapes), MaxInputs)
		}
		for i, s := range f.Shapes {
			field := fmt.Sprintf("shapes[%d]", i)
			codes = append(codes, s.Input)
			if len(s.Edges) > MaxBins-1 {
				return bad(field+".edges", "%d edges, at most %d", len(s.Edges), MaxBins-1)
			}
			for j, e := range s.Edges {
				if err := checkNumber(fmt.Sprintf("%s.edges[%d]", field, j), e, math.MaxFloat64); err != nil {
					return err
				}
				if j > 0 && e <= s.Edges[j-1] {
					return bad(fmt.Sprintf("%s.edges[%d]", field, j), "%v is not above the edge before it, %v", e, s.Edges[j-1])
				}
			}
			if len(s.Coef) != len(s.Edges)+1 {
				return bad(field+".coef", "%d coefficients for %d edges, want %d", len(s.Coef), len(s.Edges), len(s.Edges)+1)
			}
			for j, c := range s.Coef {
				if err := checkNumber(fmt.Sprintf("%s.coef[%d]", field, j), c, maxCoefficient); err != nil {
					return err
				}
			}
			if err := checkNumber(field+".missing", s.Missing, maxCoefficient); err != nil {
				return err
			}
			if err := checkNumber(field+".importance", s.Importance, maxCoefficient); err != nil {
				return err
			}
			if s.Importance < 0 {
				return bad(field+".importance", "%v is negative", s.Importance)
			}
		}
	case KindLinear:
		if f.Shapes != nil {
			return bad("shapes", "a linear model has weights, not shapes")
		}
		if len(f.Weights) == 0 || len(f.Weights) > MaxInputs {
			return bad("weights", "%d inputs, want 1 to %d", len(f.Weights), MaxInputs)
		}
		for i, w := range f.Weights {
			codes = append(codes, w.Input)
			if err := checkNumber(fmt.Sprintf("weights[%d].weight", i), w.Weight, maxCoefficient); err != nil {
				return err
			}
		}
	}
	seen := make(map[string]bool, len(codes))
	for i, code := range codes {
		field := fmt.Sprintf("shapes[%d].input", i)
		if f.Card.Kind == KindLinear {
			field = fmt.Sprintf("weights[%d].input", i)
		}
		if code == "" || len(code) > maxCodeBytes {
			return bad(field, "an input code is 1 to %d bytes, this one %d", maxCodeBytes, len(code))
		}
		if seen[code] {
			return bad(field, "input %q appears twice", code)
		}
		seen[code] = true
	}
	return nil
}

func (c *Card) check() error {
	bad := func(field, format string, args ...any) error {
		return &FileError{Field: "card." + field, Problem: fmt.Sprintf(format, args...)}
	}
	if c.Kind != KindAdditive && c.Kind != KindLinear {
		return bad("kind", "%q is not %q or %q", c.Kind, KindAdditive, KindLinear)
	}
	if c.Rows < 0 || c.Positives < 0 || c.Entities < 0 || c.Positives > c.Rows {
		return bad("rows", "%d rows, %d positives, %d entities: counts must be positive, positives at most the rows", c.Rows, c.Positives, c.Entities)
	}
	for _, list := range []struct {
		field string
		n     int
	}{{"fitted_on", len(c.FittedOn)}, {"tested_on", len(c.TestedOn)}, {"smooth_search", len(c.SmoothSearch)}} {
		if list.n > maxListed {
			return bad(list.field, "%d entries, at most %d", list.n, maxListed)
		}
	}
	if c.MaxBins < 0 || c.MaxBins > MaxBins {
		return bad("max_bins", "%d is not between 0 and %d", c.MaxBins, MaxBins)
	}
	if c.Smooth < 0 || c.Ridge < 0 {
		return bad("smooth", "smoothing %v and ridge %v must not be negative", c.Smooth, c.Ridge)
	}
	for _, part := range []struct {
		name string
		m    *Metrics
	}{{"test", c.Test}, {"baseline", c.Baseline}} {
		name, m := part.name, part.m
		if m == nil {
			continue
		}
		if len(m.Calibration) > 10 || len(m.AtThresholds) > maxListed {
			return bad(name, "%d calibration tenths and %d thresholds, at most 10 and %d", len(m.Calibration), len(m.AtThresholds), maxListed)
		}
		if m.Rows < 0 || m.Positives < 0 || m.Positives > m.Rows {
			return bad(name+".rows", "%d rows and %d positives", m.Rows, m.Positives)
		}
		for _, share := range []struct {
			field string
			v     float64
		}{{"auc", m.AUC}, {"rate", m.Rate}, {"captured_top10", m.Captured10}, {"brier", m.Brier}} {
			if share.v < 0 || share.v > 1 {
				return bad(name+"."+share.field, "%v is not between 0 and 1", share.v)
			}
		}
	}
	return nil
}

// checkNumber refuses a number beyond ±limit (JSON itself has no NaN or
// infinity, and refuses numbers beyond float64's range).
func checkNumber(field string, v, limit float64) error {
	if math.IsNaN(v) || math.Abs(v) > limit {
		return &FileError{Field: field, Problem: fmt.Sprintf("%v is out of range (±%g)", v, limit)}
	}
	return nil
}
