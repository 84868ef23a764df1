package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

// fitSimulation draws the rows of s and fits them, failing the test on an
// error.
func fitSimulation(t *testing.T, s simulation, testPeriods int, opts Options) (*Result, Dataset) {
	t.Helper()
	ds := s.dataset()
	start := time.Now()
	res, err := Fit(ds, testPeriods, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fitted %d rows x %d inputs in %v; smoothing %v (%s)", ds.Rows(), len(ds.Inputs), time.Since(start),
		res.Model.Card().Smooth, res.Model.Card().SmoothChosenBy)
	return res, ds
}

func shapeOf(t *testing.T, m *Additive, input string) Shape {
	t.Helper()
	for _, s := range m.Shapes() {
		if s.Input == input {
			return s
		}
	}
	t.Fatalf("no shape for %q", input)
	return Shape{}
}

func TestFit(t *testing.T) {
	t.Parallel()
	res, ds := fitSimulation(t, simulation{rows: 40_000, periods: 8, noise: 8, seed: 3}, 2, Options{})
	m := res.Model

	t.Run("the planted input is found with the right sign", func(t *testing.T) {
		// Truth: 2.2 more log-odds at 3 months idle or more.
		s := shapeOf(t, m, "idle_months")
		step := s.Contribution(6) - s.Contribution(0)
		if math.Abs(step-2.2) > 0.35 {
			t.Errorf("6 idle months against none: %+.2f log-odds, want about +2.2 (shape %v at %v)", step, s.Coef, s.Edges)
		}
		// The bins above 3 months all carry the step; none lies below the
		// bin of 0 months.
		for j, c := range s.Coef {
			if c < s.Coef[0] {
				t.Errorf("bin %d contributes %.2f, below no idle months' %.2f", j, c, s.Coef[0])
			}
			if j > 0 && s.Edges[j-1] >= 3 && c-s.Coef[0] < 1.8 {
				t.Errorf("bin %d (above %v months) is %+.2f above no idle months, want about +2.2", j, s.Edges[j-1], c-s.Coef[0])
			}
		}
	})

	t.Run("the planted inputs dominate importance and noise stays near zero", func(t *testing.T) {
		shapes := m.Shapes()
		slices.SortFunc(shapes, func(a, b Shape) int { return -cmpFloat(a.Importance, b.Importance) })
		if shapes[0].Input != "idle_months" && shapes[0].Input != "turnover_ratio" {
			t.Errorf("most important %q, want a planted input", shapes[0].Input)
		}
		idle := shapeOf(t, m, "idle_months").Importance
		for _, s := range shapes {
			if len(s.Input) > 5 && s.Input[:5] == "noise" && s.Importance > idle/10 {
				t.Errorf("noise input %s has importance %.3f, more than a tenth of idle_months' %.3f", s.Input, s.Importance, idle)
			}
		}
	})

	t.Run("a monotone shape is recovered monotone", func(t *testing.T) {
		// Truth: falls by 1.6 per unit of turnover_ratio up to 1.5, then flat.
		s := shapeOf(t, m, "turnover_ratio")
		for j := 1; j < len(s.Coef); j++ {
			if s.Coef[j] > s.Coef[j-1]+0.05 {
				t.Errorf("bin %d rises from %.3f to %.3f; shape %v", j, s.Coef[j-1], s.Coef[j], s.Coef)
			}
		}
		if fall := s.Contribution(0.05) - s.Contribution(1.9); math.Abs(fall-1.6*1.45) > 0.4 {
			t.Errorf("falls %.2f from 0.05 to 1.9, want about %.2f", fall, 1.6*1.45)
		}
	})

	t.Run("a missing value gets its own coefficient", func(t *testing.T) {
		// Truth: +1 when balance_ratio is missing, nothing otherwise.
		s := shapeOf(t, m, "balance_ratio")
		mean := 0.0
		for _, c := range s.Coef {
			mean += c / float64(len(s.Coef))
		}
		if d := s.Missing - mean; math.Abs(d-1) > 0.3 {
			t.Errorf("missing against present: %+.2f log-odds, want about +1", d)
		}
	})

	t.Run("contributions add up to the score and are centred", func(t *testing.T) {
		x := make([]float64, len(ds.Inputs))
		out := make([]float64, len(ds.Inputs))
		sums := make([]float64, len(ds.Inputs))
		W := 0.0
		for _, i := range trainRows(ds, res.TrainPeriods) {
			ds.row(i, x)
			z := m.Contributions(x, out)
			total := m.Intercept()
			for k, c := range out {
				total += c
				sums[k] += ds.weight(i) * c
			}
			W += ds.weight(i)
			if math.Abs(z-total) > 1e-9 {
				t.Fatalf("row %d: z %v, intercept + contributions %v", i, z, total)
			}
		}
		for k, s := range sums {
			if math.Abs(s/W) > 1e-9 {
				t.Errorf("input %s: mean contribution %v on the rows fitted on, want 0", ds.Inputs[k], s/W)
			}
		}
	})

	t.Run("predicted and observed rates agree out of time", func(t *testing.T) {
		for _, b := range res.Test.Calibration {
			if math.Abs(b.Predicted-b.Observed) > 0.03+0.1*b.Observed {
				t.Errorf("tenth %d: predicted %.3f, observed %.3f (%d rows)", b.Decile, b.Predicted, b.Observed, b.Rows)
			}
		}
	})

	t.Run("an input never missing in training says nothing when missing", func(t *testing.T) {
		if s := shapeOf(t, m, "turnover_ratio"); s.Missing != 0 {
			t.Errorf("missing turnover_ratio contributes %v, want 0", s.Missing)
		}
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trainRows(ds Dataset, periods []int) []int {
	var rows []int
	for i, p := range ds.Period {
		if slices.Contains(periods, p) {
			rows = append(rows, i)
		}
	}
	return rows
}

func TestFitWithSampledStayersIsCalibrated(t *testing.T) {
	t.Parallel()
	// Keep a fifth of the negative rows, weighted 5: weighted figures are
	// those of every row, so the probabilities stay calibrated.
	res, _ := fitSimulation(t, simulation{rows: 25_000, periods: 6, noise: 2, seed: 11, stayerSample: 0.2}, 1, Options{})
	for _, b := range res.Test.Calibration {
		if math.Abs(b.Predicted-b.Observed) > 0.03+0.15*b.Observed {
			t.Errorf("tenth %d: predicted %.3f, observed %.3f (%d rows, weight %.0f)", b.Decile, b.Predicted, b.Observed, b.Rows, b.Weight)
		}
	}
	rate := 0.0
	for _, b := range res.Test.Calibration {
		rate += b.Predicted * b.Weight / res.Test.Weight
	}
	if math.Abs(rate-res.Test.Rate) > 0.01 {
		t.Errorf("mean predicted %.3f, observed rate %.3f", rate, res.Test.Rate)
	}
}

func TestSmoothingDoesWhatItSays(t *testing.T) {
	t.Parallel()
	ds := simulation{rows: 12_000, periods: 4, noise: 4, seed: 5}.dataset()
	roughness := func(smooth float64) (rough, turnoverRange float64) {
		res, err := Fit(ds, 1, Options{Smooth: smooth})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Model.Card().Smooth; got != smooth {
			t.Fatalf("card says smoothing %v, want %v", got, smooth)
		}
		for _, s := range res.Model.Shapes() {
			for j := 1; j < len(s.Coef); j++ {
				rough += (s.Coef[j] - s.Coef[j-1]) * (s.Coef[j] - s.Coef[j-1])
			}
			if s.Input == "turnover_ratio" {
				turnoverRange = slices.Max(s.Coef) - slices.Min(s.Coef)
			}
		}
		return rough, turnoverRange
	}
	var prevRough, prevRange float64
	for i, s := range []float64{0.0001, 0.01, 1, 100} {
		rough, rng := roughness(s)
		t.Logf("smoothing %v: sum of squared steps %.4f, turnover_ratio range %.3f", s, rough, rng)
		if i > 0 && (rough >= prevRough || rng > prevRange) {
			t.Errorf("smoothing %v: steps %.4f and range %.3f, not below %.4f and %.3f of the weaker smoothing", s, rough, rng, prevRough, prevRange)
		}
		prevRough, prevRange = rough, rng
	}
	if prevRange > 0.1 {
		t.Errorf("at smoothing 100 turnover_ratio still spans %.3f log-odds, want it nearly flat", prevRange)
	}
}

func TestFitChoosesSmoothingOnTheLatestTrainingPeriod(t *testing.T) {
	t.Parallel()
	ds := simulation{rows: 12_000, periods: 4, noise: 2, seed: 6}.dataset()
	res, err := Fit(ds, 1, Options{SmoothGrid: []float64{0.001, 10}})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Model.Card()
	if len(c.SmoothSearch) != 2 || c.Smooth != 0.001 {
		t.Errorf("search %+v chose %v, want both tried and 0.001 (10 flattens the planted shapes)", c.SmoothSearch, c.Smooth)
	}
}

func TestFitRefusesTooLittleHistory(t *testing.T) {
	t.Parallel()
	base := simulation{rows: 6_000, periods: 4, noise: 1, seed: 7}.dataset()
	onlyPositivesIn := func(keep int) Dataset {
		// Keep the first `keep` positive rows of the training periods.
		ds := base
		ds.Y = slices.Clone(base.Y)
		seen := 0
		for i, y := range ds.Y {
			if y && ds.Period[i] < 3 {
				seen++
				ds.Y[i] = seen <= keep
			}
		}
		return ds
	}
	onePeriod := base
	onePeriod.Period = make([]int, base.Rows())
	fewTestPositives := base
	fewTestPositives.Y = slices.Clone(base.Y)
	for i := range fewTestPositives.Y {
		if fewTestPositives.Period[i] == 3 {
			fewTestPositives.Y[i] = false
		}
	}
	cases := []struct {
		name        string
		ds          Dataset
		testPeriods int
		what        string
		have, need  int
	}{
		{"one period", onePeriod, 1, "periods", 1, 2},
		{"no period left to train on", base, 4, "periods before the 4 test periods", 0, 1},
		{"too few positives to train on", onlyPositivesIn(29), 1, "positive rows in the training periods", 29, 30},
		{"too few positives to test on", fewTestPositives, 1, "positive rows in the test periods", 0, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Fit(c.ds, c.testPeriods, Options{})
			var short *TooLittleHistory
			if !errors.Is(err, ErrTooLittleHistory) || !errors.As(err, &short) {
				t.Fatalf("error %v, want too little history", err)
			}
			if short.What != c.what || short.Have != c.have || short.Need != c.need {
				t.Errorf("got %+v, want %s: have %d need %d", *short, c.what, c.have, c.need)
			}
		})
	}
	t.Run("thirty positives are enough", func(t *testing.T) {
		if _, err := Fit(onlyPositivesIn(30), 1, Options{}); err != nil {
			t.Errorf("error %v, want a fit", err)
		}
	})
}

func TestFitHoldsOutTheLatestPeriods(t *testing.T) {
	t.Parallel()
	ds := simulation{rows: 8_000, periods: 5, noise: 1, seed: 8}.dataset()
	// Rows out of period order, and periods numbered as months.
	for i := range ds.Period {
		ds.Period[i] = 202501 + ds.Period[i]
	}
	reverse(&ds)
	res, err := Fit(ds, 2, Options{Refit: true, PeriodLabel: func(p int) string { return fmt.Sprintf("%d-%02d", p/100, p%100) }})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.TrainPeriods, []int{202501, 202502, 202503}) || !slices.Equal(res.TestPeriods, []int{202504, 202505}) {
		t.Fatalf("train %v test %v, want the last two periods tested", res.TrainPeriods, res.TestPeriods)
	}
	inTest := 0
	for _, p := range ds.Period {
		if p >= 202504 {
			inTest++
		}
	}
	if res.Test.Rows != inTest || res.Train.Rows != ds.Rows()-inTest {
		t.Errorf("test %d rows, train %d, want %d and %d", res.Test.Rows, res.Train.Rows, inTest, ds.Rows()-inTest)
	}
	card := res.Model.Card()
	if !slices.Equal(card.TestedOn, []string{"2025-04", "2025-05"}) || len(card.FittedOn) != 5 || !card.Refitted || card.Rows != ds.Rows() {
		t.Errorf("card fitted on %v tested on %v refitted %v rows %d, want the refit on all five months", card.FittedOn, card.TestedOn, card.Refitted, card.Rows)
	}
	tested := res.Tested.Card()
	if !slices.Equal(tested.FittedOn, []string{"2025-01", "2025-02", "2025-03"}) || tested.Refitted || tested.Rows != ds.Rows()-inTest {
		t.Errorf("tested model's card fitted on %v refitted %v rows %d, want the first three months", tested.FittedOn, tested.Refitted, tested.Rows)
	}
	if card.Entities == 0 || card.Positives == 0 {
		t.Errorf("card counts %d entities and %d positives", card.Entities, card.Positives)
	}
}

func reverse(ds *Dataset) {
	for _, c := range ds.Cols {
		slices.Reverse(c)
	}
	slices.Reverse(ds.Y)
	slices.Reverse(ds.Period)
	slices.Reverse(ds.Entity)
	if ds.W != nil {
		slices.Reverse(ds.W)
	}
}

func TestFitAgainstABaseline(t *testing.T) {
	t.Parallel()
	ds := simulation{rows: 10_000, periods: 4, noise: 1, seed: 9}.dataset()
	// Fixed weights that only count idle months, one log-odds each.
	fixed, err := NewLinear(-3, []Weight{{"idle_months", 1}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Fit(ds, 1, Options{Baseline: fixed})
	if err != nil {
		t.Fatal(err)
	}
	if res.Baseline == nil || res.Baseline.Rows != res.Test.Rows {
		t.Fatalf("baseline figures %+v, want them on the %d test rows", res.Baseline, res.Test.Rows)
	}
	if !res.Beats() {
		t.Errorf("model AUC %.3f lift %.2f, baseline %.3f and %.2f: want the model to win", res.Test.AUC, res.Test.Lift10, res.Baseline.AUC, res.Baseline.Lift10)
	}
	missing, _ := NewLinear(0, []Weight{{"complaints", 1}})
	if _, err := Fit(ds, 1, Options{Baseline: missing}); err == nil {
		t.Errorf("a baseline reading an input the rows lack fitted without error")
	}
}

func TestBeats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name              string
		auc, lift         float64
		baseAUC, baseLift float64
		noBaseline        bool
		want              bool
	}{
		{"higher AUC and lift", 0.8, 5, 0.7, 3, false, true},
		{"higher AUC, equal lift", 0.8, 3, 0.7, 3, false, true},
		{"higher AUC, lower lift", 0.8, 2.9, 0.7, 3, false, false},
		{"equal AUC", 0.7, 5, 0.7, 3, false, false},
		{"no baseline", 0.8, 5, 0, 0, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Result{Test: Metrics{AUC: c.auc, Lift10: c.lift}}
			if !c.noBaseline {
				r.Baseline = &Metrics{AUC: c.baseAUC, Lift10: c.baseLift}
			}
			if got := r.Beats(); got != c.want {
				t.Errorf("Beats() = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAnInputWithOneValueContributesNothing(t *testing.T) {
	t.Parallel()
	ds := simulation{rows: 6_000, periods: 3, noise: 0, seed: 10}.dataset()
	ds.Inputs = append(ds.Inputs, "constant", "flag")
	constant := make([]float64, ds.Rows())
	flag := make([]float64, ds.Rows())
	for i := range constant {
		constant[i] = 4
		flag[i] = float64(i % 2)
	}
	ds.Cols = append(ds.Cols, constant, flag)
	res, err := Fit(ds, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := shapeOf(t, res.Model, "constant")
	if len(c.Edges) != 0 || len(c.Coef) != 1 || c.Coef[0] != 0 || c.Importance != 0 {
		t.Errorf("constant input: %+v, want one bin contributing 0", c)
	}
	if f := shapeOf(t, res.Model, "flag"); len(f.Coef) != 2 || !slices.Equal(f.Edges, []float64{0}) {
		t.Errorf("0/1 input: %+v, want two bins split at 0", f)
	}
}
