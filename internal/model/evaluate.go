package model

import (
	"cmp"
	"math"
	"slices"
)

// Metrics are a model's figures on a set of rows, every one weighted by the
// rows' weights. Scores are probabilities.
type Metrics struct {
	Rows      int     `json:"rows"`
	Positives int     `json:"positives"` // rows with a positive outcome
	Weight    float64 `json:"weight"`    // total weight of the rows
	Rate      float64 `json:"rate"`      // weighted share of positives
	// AUC is the chance that a random positive scores above a random
	// negative, ties counting half; NaN without positives or negatives.
	AUC float64 `json:"auc"`
	// Lift10 is the share of positives among the top 10% of scores (by
	// weight) over the overall rate; Captured10 the share of all positives
	// that the top 10% holds. Rows tied at the cut-off count pro rata, so
	// neither depends on the order of the rows. NaN without positives.
	Lift10     float64 `json:"lift_top10"`
	Captured10 float64 `json:"captured_top10"`
	Brier      float64 `json:"brier"`    // mean squared error of the probability
	LogLoss    float64 `json:"log_loss"` // mean log-loss, probabilities clipped to [1e-15, 1-1e-15]
	// AtThresholds gives precision and recall for each threshold asked for.
	AtThresholds []AtThreshold `json:"at_thresholds,omitempty"`
	// Calibration compares predicted and observed rates in tenths of the
	// rows by weight, lowest scores first; tied scores stay in one tenth, so
	// a tenth may be empty and left out.
	Calibration []CalibrationBin `json:"calibration"`
}

// AtThreshold is how rows scoring at or above a threshold fare.
type AtThreshold struct {
	Threshold float64 `json:"threshold"`
	Flagged   float64 `json:"flagged"`   // weighted share of rows at or above it
	Precision float64 `json:"precision"` // weighted share of positives among them; 0 when none
	Recall    float64 `json:"recall"`    // weighted share of all positives among them; 0 without positives
}

// CalibrationBin is one tenth of the rows by predicted probability.
type CalibrationBin struct {
	Decile    int     `json:"decile"` // 1 = lowest scores
	Low       float64 `json:"low"`    // lowest and highest probability in it
	High      float64 `json:"high"`
	Predicted float64 `json:"predicted"` // weighted mean probability
	Observed  float64 `json:"observed"`  // weighted share of positives
	Weight    float64 `json:"weight"`
	Rows      int     `json:"rows"`
}

// Evaluate measures probabilities scores against outcomes y, each row weighed
// by w (nil: 1), with precision and recall at each of thresholds.
func Evaluate(scores []float64, y []bool, w []float64, thresholds ...float64) Metrics {
	n := len(scores)
	wt := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	m := Metrics{Rows: n}
	P := 0.0
	for i := range n {
		wi := wt(i)
		m.Weight += wi
		p := scores[i]
		yi := 0.0
		if y[i] {
			m.Positives++
			P += wi
			yi = 1
		}
		m.Brier += wi * (p - yi) * (p - yi)
		pc := min(max(p, 1e-15), 1-1e-15)
		m.LogLoss -= wi * (yi*math.Log(pc) + (1-yi)*math.Log(1-pc))
	}
	W := m.Weight
	N := W - P
	if W > 0 {
		m.Rate = P / W
		m.Brier /= W
		m.LogLoss /= W
	}

	// Rows lowest score first, and the groups of rows with equal scores.
	order := allRows(n)
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	type group struct {
		lo, hi   int
		pos, neg float64
	}
	var groups []group
	for lo := 0; lo < n; {
		g := group{lo: lo, hi: lo}
		for g.hi < n && scores[order[g.hi]] == scores[order[lo]] {
			i := order[g.hi]
			if y[i] {
				g.pos += wt(i)
			} else {
				g.neg += wt(i)
			}
			g.hi++
		}
		groups = append(groups, g)
		lo = g.hi
	}

	// AUC: each positive beats the negatives below it and ties half of
	// those beside it.
	m.AUC = math.NaN()
	if P > 0 && N > 0 {
		won, negBelow := 0.0, 0.0
		for _, g := range groups {
			won += g.pos * (negBelow + g.neg/2)
			negBelow += g.neg
		}
		m.AUC = won / (P * N)
	}

	// Top 10% by weight from the highest score down; the group straddling
	// the cut gives its positives pro rata.
	m.Lift10, m.Captured10 = math.NaN(), math.NaN()
	if P > 0 {
		cut := W / 10
		taken, top := 0.0, 0.0
		for gi := len(groups) - 1; gi >= 0 && taken < cut; gi-- {
			g := groups[gi]
			gw := g.pos + g.neg
			if taken+gw <= cut {
				taken += gw
				top += g.pos
				continue
			}
			top += g.pos * (cut - taken) / gw
			taken = cut
		}
		m.Lift10 = (top / cut) / m.Rate
		m.Captured10 = top / P
	}

	for _, t := range thresholds {
		a := AtThreshold{Threshold: t}
		flagged, hit := 0.0, 0.0
		for i := range n {
			if scores[i] >= t {
				flagged += wt(i)
				if y[i] {
					hit += wt(i)
				}
			}
		}
		if W > 0 {
			a.Flagged = flagged / W
		}
		if flagged > 0 {
			a.Precision = hit / flagged
		}
		if P > 0 {
			a.Recall = hit / P
		}
		m.AtThresholds = append(m.AtThresholds, a)
	}

	// Calibration: a group of tied scores goes whole to the tenth its middle
	// falls in.
	var bins [10]CalibrationBin
	cum := 0.0
	for _, g := range groups {
		gw := g.pos + g.neg
		d := min(int(10*(cum+gw/2)/W), 9)
		cum += gw
		b := &bins[d]
		p := scores[order[g.lo]]
		if b.Rows == 0 {
			b.Low = p
		}
		b.High = p
		b.Rows += g.hi - g.lo
		b.Weight += gw
		b.Predicted += gw * p
		b.Observed += g.pos
	}
	for d := range bins {
		b := bins[d]
		if b.Rows == 0 {
			continue
		}
		b.Decile = d + 1
		b.Predicted /= b.Weight
		b.Observed /= b.Weight
		m.Calibration = append(m.Calibration, b)
	}
	return m
}
