package triggers

import (
	"math"
	"testing"
)

// TestNewcombeUplift checks the interval against the examples Newcombe worked
// in his paper (Statistics in Medicine 17, 1998, table II, method 10), which
// include the hard cases: small samples, and rates of 0 and 1.
func TestNewcombeUplift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b            Proportion
		diff, low, high float64
	}{
		// 56/70 = 0.8 against 48/80 = 0.6. Worked by hand: Wilson intervals
		// 0.6917-0.8776 and 0.4904-0.7002; low = 0.2 - sqrt(0.1083² + 0.1002²)
		// = 0.0524, high = 0.2 + sqrt(0.0776² + 0.1096²) = 0.3339.
		{Proportion{56, 70}, Proportion{48, 80}, 0.2, 0.0524, 0.3339},
		{Proportion{9, 10}, Proportion{3, 10}, 0.6, 0.1705, 0.8090},
		{Proportion{6, 7}, Proportion{2, 7}, 0.5714, 0.0582, 0.8062},
		{Proportion{5, 56}, Proportion{0, 29}, 0.0893, -0.0381, 0.1926},
		{Proportion{0, 10}, Proportion{0, 20}, 0, -0.1611, 0.2775},
		{Proportion{0, 10}, Proportion{0, 10}, 0, -0.2775, 0.2775},
		{Proportion{10, 10}, Proportion{0, 20}, 1, 0.6791, 1},
	}
	for _, tt := range tests {
		u := NewcombeUplift(tt.a, tt.b)
		if math.Abs(u.Diff-tt.diff) > 5e-5 || math.Abs(u.Lo-tt.low) > 5e-5 || math.Abs(u.Hi-tt.high) > 5e-5 {
			t.Errorf("%d/%d - %d/%d: %.4f (%.4f to %.4f), want %.4f (%.4f to %.4f)", tt.a.K, tt.a.N, tt.b.K, tt.b.N,
				u.Diff, u.Lo, u.Hi, tt.diff, tt.low, tt.high)
		}
	}
}

// TestEffectRowJudge: the uplift and income added need enough cases on both
// sides; with fewer, the row says so and gives no figures.
func TestEffectRowJudge(t *testing.T) {
	t.Parallel()
	r := EffectRow{Shown: Proportion{56, 70}, HeldBack: Proportion{48, 80}, IncomeShown: 70000, IncomeHeld: 40000}
	r.judge(30)
	// income per shown trigger 1000, per held-back one 500: 500 x 70 shown
	if !r.Enough || r.IncomeAdded != 35000 || math.Abs(r.Uplift.Lo-0.0524) > 5e-5 {
		t.Errorf("enough cases: %+v", r)
	}
	small := EffectRow{Shown: Proportion{9, 10}, HeldBack: Proportion{3, 10}}
	small.judge(30)
	if small.Enough || small.Uplift != (Uplift{}) || small.IncomeAdded != 0 {
		t.Errorf("10 cases a side with a minimum of 30: %+v", small)
	}
}
