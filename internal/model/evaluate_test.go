package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestEvaluateAUC(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		scores []float64
		y      []bool
		w      []float64
		want   float64
	}{
		{
			// Positives 0.9 and 0.8, negatives 0.8 and 0.3: of the four
			// (positive, negative) pairs 0.9 beats both, 0.8 beats 0.3 and
			// ties 0.8: (1 + 1 + 1 + 0.5) / 4.
			name:   "ties count half",
			scores: []float64{0.9, 0.8, 0.8, 0.3},
			y:      []bool{true, true, false, false},
			want:   0.875,
		},
		{
			// One positive (weight 2) at 0.5 between a negative of weight 1
			// above it and one of weight 3 below: it beats 3 of the 4 units of
			// negative weight.
			name:   "weights count as rows",
			scores: []float64{0.9, 0.5, 0.1},
			y:      []bool{false, true, false},
			w:      []float64{1, 2, 3},
			want:   0.75,
		},
		{
			name:   "perfect ranking",
			scores: []float64{0.1, 0.2, 0.7, 0.9},
			y:      []bool{false, false, true, true},
			want:   1,
		},
		{
			name:   "every score equal is chance",
			scores: []float64{0.4, 0.4, 0.4, 0.4},
			y:      []bool{false, true, false, true},
			want:   0.5,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Evaluate(c.scores, c.y, c.w).AUC; !near(got, c.want, 1e-12) {
				t.Errorf("AUC = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("no negatives is undefined", func(t *testing.T) {
		if got := Evaluate([]float64{0.2, 0.3}, []bool{true, true}, nil).AUC; !math.IsNaN(got) {
			t.Errorf("AUC = %v, want NaN", got)
		}
	})
}

// tiedAtTheCut is 20 rows: one negative at 0.9, four rows tied at 0.5 of
// which two positive, and fifteen at 0.1 of which one positive. The rate is
// 3/20 = 0.15. The top 10% is two rows' weight: the 0.9 row and a quarter of
// the tied group, which brings a quarter of its two positives, 0.5. So the
// top 10%'s precision is 0.5/2 = 0.25, the lift 0.25/0.15 = 5/3 and it holds
// 0.5/3 of the positives.
func tiedAtTheCut() ([]float64, []bool) {
	scores := []float64{0.9, 0.5, 0.5, 0.5, 0.5}
	y := []bool{false, true, false, true, false}
	for i := range 15 {
		scores = append(scores, 0.1)
		y = append(y, i == 7)
	}
	return scores, y
}

func TestEvaluateLift(t *testing.T) {
	t.Parallel()
	t.Run("distinct scores", func(t *testing.T) {
		// 20 rows scored 20/20, 19/20, ... with positives ranked 1st, 5th
		// and 11th: the top 10% (2 rows) holds one positive: precision 0.5
		// over a rate of 0.15 is a lift of 10/3, a third of the positives.
		scores := make([]float64, 20)
		y := make([]bool, 20)
		for i := range scores {
			scores[i] = float64(20-i) / 20
		}
		y[0], y[4], y[10] = true, true, true
		m := Evaluate(scores, y, nil)
		if !near(m.Lift10, 10.0/3, 1e-12) || !near(m.Captured10, 1.0/3, 1e-12) {
			t.Errorf("lift %v captured %v, want 10/3 and 1/3", m.Lift10, m.Captured10)
		}
	})
	t.Run("ties at the cut share pro rata whatever the order", func(t *testing.T) {
		scores, y := tiedAtTheCut()
		rng := rand.New(rand.NewPCG(1, 2))
		for range 5 {
			m := Evaluate(scores, y, nil)
			if !near(m.Lift10, 5.0/3, 1e-12) || !near(m.Captured10, 0.5/3, 1e-12) {
				t.Fatalf("lift %v captured %v, want 5/3 and 1/6", m.Lift10, m.Captured10)
			}
			rng.Shuffle(len(scores), func(i, j int) {
				scores[i], scores[j] = scores[j], scores[i]
				y[i], y[j] = y[j], y[i]
			})
		}
	})
	t.Run("weights count as rows", func(t *testing.T) {
		// Two rows: a positive at 0.9 of weight 1 and a negative at 0.1 of
		// weight 9. The top 10% is the positive alone: precision 1 over a
		// rate of 0.1.
		m := Evaluate([]float64{0.9, 0.1}, []bool{true, false}, []float64{1, 9})
		if !near(m.Lift10, 10, 1e-12) {
			t.Errorf("lift %v, want 10", m.Lift10)
		}
	})
}

func TestEvaluateThresholds(t *testing.T) {
	t.Parallel()
	// In tiedAtTheCut, five rows score 0.5 or more (a quarter of the 20),
	// two of them positive: precision 2/5, recall 2/3. Nothing scores 0.95.
	scores, y := tiedAtTheCut()
	m := Evaluate(scores, y, nil, 0.5, 0.95)
	want := []AtThreshold{
		{Threshold: 0.5, Flagged: 0.25, Precision: 0.4, Recall: 2.0 / 3},
		{Threshold: 0.95, Flagged: 0, Precision: 0, Recall: 0},
	}
	for i, w := range want {
		g := m.AtThresholds[i]
		if !near(g.Flagged, w.Flagged, 1e-12) || !near(g.Precision, w.Precision, 1e-12) || !near(g.Recall, w.Recall, 1e-12) {
			t.Errorf("at %v: got %+v, want %+v", w.Threshold, g, w)
		}
	}
}

func TestEvaluateBrierAndLogLoss(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		scores           []float64
		y                []bool
		w                []float64
		brier, logLossWt float64
	}{
		// (0.2² + 0.8²) / 2 = 0.34; log-loss (−ln 0.8 − ln 0.2) / 2.
		{"unweighted", []float64{0.8, 0.2}, []bool{true, true}, nil, 0.34, (-math.Log(0.8) - math.Log(0.2)) / 2},
		// (3·0.04 + 1·0.64) / 4 = 0.19.
		{"weighted", []float64{0.8, 0.2}, []bool{true, true}, []float64{3, 1}, 0.19, (-3*math.Log(0.8) - math.Log(0.2)) / 4},
		// A certain, wrong prediction is clipped, not infinite.
		{"clipped", []float64{0}, []bool{true}, nil, 1, -math.Log(1e-15)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Evaluate(c.scores, c.y, c.w)
			if !near(m.Brier, c.brier, 1e-12) || !near(m.LogLoss, c.logLossWt, 1e-9) {
				t.Errorf("Brier %v log-loss %v, want %v and %v", m.Brier, m.LogLoss, c.brier, c.logLossWt)
			}
		})
	}
}

func TestEvaluateCalibration(t *testing.T) {
	t.Parallel()
	t.Run("a tenth per pair of tied scores", func(t *testing.T) {
		// 20 rows in pairs scoring 0.05, 0.15, ..., 0.95; in the pair at
		// 0.95 both are positive, in the pair at 0.45 one is: each tenth
		// holds one pair and observes 1, 0.5 or 0.
		var scores []float64
		var y []bool
		for d := range 10 {
			p := 0.05 + 0.1*float64(d)
			scores = append(scores, p, p)
			y = append(y, d == 9 || d == 4, d == 9)
		}
		m := Evaluate(scores, y, nil)
		if len(m.Calibration) != 10 {
			t.Fatalf("%d tenths, want 10", len(m.Calibration))
		}
		for d, b := range m.Calibration {
			wantObs := 0.0
			switch d {
			case 9:
				wantObs = 1
			case 4:
				wantObs = 0.5
			}
			if b.Decile != d+1 || b.Rows != 2 || !near(b.Predicted, 0.05+0.1*float64(d), 1e-12) || b.Observed != wantObs {
				t.Errorf("tenth %d: %+v, want predicted %v observed %v", d+1, b, 0.05+0.1*float64(d), wantObs)
			}
		}
	})
	t.Run("tied scores stay in one tenth", func(t *testing.T) {
		// Ten rows all at 0.3, three positive: one group whose middle is
		// the middle of the rows, so one bin (the sixth tenth).
		scores := []float64{0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3}
		y := []bool{true, true, true, false, false, false, false, false, false, false}
		m := Evaluate(scores, y, nil)
		if len(m.Calibration) != 1 || m.Calibration[0].Rows != 10 || m.Calibration[0].Decile != 6 || !near(m.Calibration[0].Observed, 0.3, 1e-12) {
			t.Errorf("calibration %+v, want one tenth of 10 rows observing 0.3", m.Calibration)
		}
	})
}

func TestEvaluateCounts(t *testing.T) {
	t.Parallel()
	m := Evaluate([]float64{0.1, 0.2, 0.3}, []bool{true, false, false}, []float64{2, 1, 1})
	if m.Rows != 3 || m.Positives != 1 || m.Weight != 4 || m.Rate != 0.5 {
		t.Errorf("rows %d positives %d weight %v rate %v, want 3, 1, 4, 0.5", m.Rows, m.Positives, m.Weight, m.Rate)
	}
}
