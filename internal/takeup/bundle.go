package takeup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/relaycrm/relay/internal/model"
	"github.com/relaycrm/relay/internal/reasons"
)

// The take-up file's format and limits: Unmarshal refuses anything else.
const (
	FileFormat   = "relay-takeup"
	FileVersion  = 1
	MaxFileBytes = 64 << 20
	maxProducts  = 500
)

// Bundle is a fitted take-up model: per product, an additive model where the
// product had enough takers to learn from, else its popularity (its take-up
// rate in the months fitted on) as every client's chance.
type Bundle struct {
	Card     Card           `json:"card"`
	Products []ProductModel `json:"products"`
}

// ProductModel is one product's part of a bundle.
type ProductModel struct {
	Code       string  `json:"product"`
	Popularity float64 `json:"popularity"`
	// Model is the product's model file (internal/model's format); null when
	// the product keeps its popularity.
	Model json.RawMessage `json:"model,omitempty"`
}

type bundleFile struct {
	Format   string         `json:"format"`
	Version  int            `json:"version"`
	Card     Card           `json:"card"`
	Products []ProductModel `json:"products"`
}

// Marshal writes the bundle as versioned JSON.
func (b *Bundle) Marshal() ([]byte, error) {
	return json.MarshalIndent(bundleFile{Format: FileFormat, Version: FileVersion, Card: b.Card, Products: b.Products}, "", "  ")
}

// Unmarshal reads a bundle written by Marshal, treating it as hostile: size,
// format, version, product codes and every product's model file are checked.
func Unmarshal(r io.Reader) (*Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("take-up file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("take-up file: larger than %d bytes", MaxFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f bundleFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("take-up file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("take-up file: data after the model")
	}
	if f.Format != FileFormat {
		return nil, fmt.Errorf("take-up file: format %q, expected %q", f.Format, FileFormat)
	}
	if f.Version != FileVersion {
		return nil, fmt.Errorf("take-up file: version %d, this Relay reads %d", f.Version, FileVersion)
	}
	if len(f.Products) == 0 || len(f.Products) > maxProducts {
		return nil, fmt.Errorf("take-up file: products: %d, expected 1 to %d", len(f.Products), maxProducts)
	}
	seen := map[string]bool{}
	for i, p := range f.Products {
		if p.Code == "" || len(p.Code) > 30 || seen[p.Code] {
			return nil, fmt.Errorf("take-up file: products[%d].product: %q is empty, too long or repeated", i, p.Code)
		}
		seen[p.Code] = true
		if !(p.Popularity >= 0 && p.Popularity <= 1) {
			return nil, fmt.Errorf("take-up file: products[%d].popularity: %v is not between 0 and 1", i, p.Popularity)
		}
		if len(p.Model) > 0 && string(p.Model) != "null" {
			if _, err := model.Unmarshal(bytes.NewReader(p.Model)); err != nil {
				return nil, fmt.Errorf("take-up file: products[%d] (%s): %w", i, p.Code, err)
			}
		}
	}
	return &Bundle{Card: f.Card, Products: f.Products}, nil
}

// Scorer scores a bundle's products on a layout's inputs.
type Scorer struct {
	layout *Layout
	// per product of the layout (by position): the bound model, or nil to
	// use pop; ok false when the bundle does not know the product.
	bound []*model.Bound
	pop   []float64
	known []bool
}

// Bind maps the bundle's products and their inputs onto layout. A product of
// the layout the bundle does not know is never scored; a model input the
// layout lacks is an error.
func (b *Bundle) Bind(l *Layout) (*Scorer, error) {
	s := &Scorer{layout: l, bound: make([]*model.Bound, len(l.Products)), pop: make([]float64, len(l.Products)),
		known: make([]bool, len(l.Products))}
	byCode := map[string]int{}
	for i, p := range l.Products {
		byCode[p.Code] = i
	}
	for _, pm := range b.Products {
		i, ok := byCode[pm.Code]
		if !ok {
			continue
		}
		s.known[i], s.pop[i] = true, pm.Popularity
		if len(pm.Model) == 0 || string(pm.Model) == "null" {
			continue
		}
		m, err := model.Unmarshal(bytes.NewReader(pm.Model))
		if err != nil {
			return nil, fmt.Errorf("product %s: %w", pm.Code, err)
		}
		if s.bound[i], err = m.Bind(l.Codes); err != nil {
			return nil, fmt.Errorf("product %s: %w", pm.Code, err)
		}
	}
	return s, nil
}

// Knows says whether the bundle scores the product at position i.
func (s *Scorer) Knows(i int) bool { return s.known[i] }

// Probability is the chance of the product at position i for inputs x;
// contribs, when not nil, receives each input's contribution (zero for a
// product scored by its popularity).
func (s *Scorer) Probability(i int, x, contribs []float64) float64 {
	if s.bound[i] == nil {
		if contribs != nil {
			clear(contribs)
		}
		return s.pop[i]
	}
	return model.Probability(s.bound[i].Contributions(x, contribs))
}

// Learned says whether the product at position i has a model of its own.
func (s *Scorer) Learned(i int) bool { return s.bound[i] != nil }

// Evidence is the inputs that raise the product's chance most (up to n,
// biggest first, each with what it adds to the log-odds), as the JSON array
// a trigger's figures keep (reasons.EvidenceItem; reasons.Evidence writes it
// in words): "[]" when none raises it.
func (l *Layout) Evidence(x, contribs []float64, n int) []byte {
	type part struct {
		k int
		c float64
	}
	var parts []part
	for k, c := range contribs {
		if c > 0.05 {
			parts = append(parts, part{k, c})
		}
	}
	slices.SortFunc(parts, func(a, b part) int {
		if a.c != b.c {
			if a.c > b.c {
				return -1
			}
			return 1
		}
		return a.k - b.k
	})
	if len(parts) > n {
		parts = parts[:n]
	}
	out := append(make([]byte, 0, 64*len(parts)+2), '[')
	for _, p := range parts {
		it := reasons.EvidenceItem{Input: l.Codes[p.k], Contribution: p.c}
		if v := x[p.k]; !math.IsNaN(v) {
			it.Value = &v
		}
		if p.k < l.client {
			it.Product = l.Products[p.k].Name
		}
		out = reasons.AppendEvidence(out, it)
	}
	return append(out, ']')
}

// Label names input code in words, for a card.
func (l *Layout) Label(code string) string {
	for k, c := range l.Codes {
		if c == code {
			if k < l.client {
				return "holds " + l.Products[k].Name
			}
			return inputLabels[code]
		}
	}
	return code
}

// Ref is the input of code as data: a holding names its product.
func (l *Layout) Ref(code string) InputRef {
	for k, c := range l.Codes {
		if c == code && k < l.client {
			return InputRef{Input: code, Product: l.Products[k].Name}
		}
	}
	return InputRef{Input: code}
}

var inputLabels = map[string]string{
	InHeld: "products held", InOpened12: "products opened in the last 12 months",
	InOpened3: "products opened in the last 3 months", InOpenRate: "products opened a year",
	InSinceOpen: "months since the last opening", InTenure: "tenure", InIncome: "income, last 3 months",
	InTurnover: "turnover, last 3 months", InBalance: "balance, last 3 months", InTx: "transactions, last 3 months",
	InControl: "control group", InCellAdoption: "adoption among similar clients",
	InBestAdoption: "adoption among the best similar clients", InIdeal: "in the ideal set",
	InRefused: "refused before", InOffered: "offered before",
}
