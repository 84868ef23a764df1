package model

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Options tune Fit. The zero value fits with the defaults.
type Options struct {
	// MaxBins is the most bins an input's values are cut into (default 16,
	// at most 255); a missing value has a bin of its own besides.
	MaxBins int
	// Smooth, when positive, is the smoothing to use; otherwise it is chosen
	// from SmoothGrid (default DefaultSmoothGrid) out of time.
	Smooth     float64
	SmoothGrid []float64
	// Ridge is the pull of each input's coefficients toward their mean (so
	// toward a flat shape), in units of row weight (default 1: a little
	// evidence, which keeps a bin that separates its rows finite).
	Ridge float64
	// MinPositives is the fewest positive rows the training periods must
	// hold (default 30); the test periods need a third of it.
	MinPositives int
	// MaxIterations bounds the optimiser's iterations per fit (default 1000).
	MaxIterations int
	// Thresholds are the probabilities at which to give precision and recall.
	Thresholds []float64
	// Baseline, when set, is scored on the same test rows as the model.
	Baseline Scorer
	// Refit fits the model again on every period once it has been tested,
	// for use; Result.Model is then that refit.
	Refit bool
	// PeriodLabel names a period on the card (default: its number).
	PeriodLabel func(period int) string
}

// DefaultSmoothGrid is the smoothing Fit chooses from. Smoothing is relative
// to the evidence (see the package comment): with 16 bins, 1 flattens all but
// the strongest shapes and 0.0001 leaves them almost as the data have them.
// Fit tries them strongest first and stops at the first that does worse than
// the one before it.
var DefaultSmoothGrid = []float64{1, 0.1, 0.01, 0.001, 0.0001}

// DefaultSmooth is the smoothing used when there is no period to choose it
// on.
const DefaultSmooth = 0.01

func (o Options) withDefaults() (Options, error) {
	if o.MaxBins == 0 {
		o.MaxBins = 16
	}
	if o.MaxBins < 2 || o.MaxBins > 255 {
		return o, fmt.Errorf("fit options: MaxBins %d is not between 2 and 255", o.MaxBins)
	}
	if len(o.SmoothGrid) == 0 {
		o.SmoothGrid = DefaultSmoothGrid
	}
	for _, s := range o.SmoothGrid {
		if !(s > 0) || !finite(s) {
			return o, fmt.Errorf("fit options: smoothing %v in SmoothGrid is not finite and positive", s)
		}
	}
	if o.Smooth < 0 || !finite(o.Smooth) {
		return o, fmt.Errorf("fit options: Smooth %v is negative or not finite", o.Smooth)
	}
	if o.Ridge == 0 {
		o.Ridge = 1
	}
	if !(o.Ridge > 0) || !finite(o.Ridge) {
		return o, fmt.Errorf("fit options: Ridge %v is not finite and positive", o.Ridge)
	}
	if o.MinPositives == 0 {
		o.MinPositives = 30
	}
	if o.MinPositives < 0 {
		return o, fmt.Errorf("fit options: MinPositives %d is negative", o.MinPositives)
	}
	if o.MaxIterations == 0 {
		o.MaxIterations = 1000
	}
	if o.PeriodLabel == nil {
		o.PeriodLabel = strconv.Itoa
	}
	return o, nil
}

// ErrTooLittleHistory is what every TooLittleHistory error is.
var ErrTooLittleHistory = errors.New("too little history")

// TooLittleHistory is Fit's refusal when the rows cannot support a fit and a
// fair test: too few periods, positives or negatives.
type TooLittleHistory struct {
	What string // what is short, e.g. "positive rows in the training periods"
	Have int
	Need int
}

func (e *TooLittleHistory) Error() string {
	return fmt.Sprintf("too little history: %d %s, need at least %d", e.Have, e.What, e.Need)
}

// Is makes errors.Is(err, ErrTooLittleHistory) true.
func (e *TooLittleHistory) Is(target error) bool { return target == ErrTooLittleHistory }

// Result is what Fit found.
type Result struct {
	// Model is the model for use: the refit on every period when
	// Options.Refit, else Tested.
	Model *Additive
	// Tested is the model fitted on the training periods only, the one the
	// figures below are of.
	Tested   *Additive
	Train    Metrics  // Tested on its training rows
	Test     Metrics  // Tested on the test rows, out of time
	Baseline *Metrics // the baseline on the same test rows; nil without one
	// TrainPeriods and TestPeriods are the periods of each part, in order.
	TrainPeriods, TestPeriods []int
}

// Beats says whether the model beats the baseline out of time: a higher AUC
// and a top-10% lift at least as high. Without a baseline it is false.
func (r *Result) Beats() bool {
	if r.Baseline == nil {
		return false
	}
	return r.Test.AUC > r.Baseline.AUC && r.Test.Lift10 >= r.Baseline.Lift10
}

// Fit fits an additive model on ds's rows but those of its latest
// testPeriods periods, tests it on those (beside opts.Baseline), and, with
// opts.Refit, fits it again on every period for use. It refuses with a
// *TooLittleHistory error when there are fewer than two periods, fewer than
// opts.MinPositives positive rows to train on, fewer than a third of that to
// test on, or no negative rows in either part.
func Fit(ds Dataset, testPeriods int, opts Options) (*Result, error) {
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if testPeriods < 1 {
		return nil, fmt.Errorf("fit: test periods %d: need at least 1", testPeriods)
	}
	periods := slices.Clone(ds.Period)
	slices.Sort(periods)
	periods = slices.Compact(periods)
	if len(periods) < 2 {
		return nil, &TooLittleHistory{What: "periods", Have: len(periods), Need: 2}
	}
	if len(periods) <= testPeriods {
		return nil, &TooLittleHistory{What: "periods before the " + strconv.Itoa(testPeriods) + " test periods",
			Have: max(0, len(periods)-testPeriods), Need: 1}
	}
	res := &Result{
		TrainPeriods: periods[:len(periods)-testPeriods],
		TestPeriods:  periods[len(periods)-testPeriods:],
	}
	firstTest := res.TestPeriods[0]

	// Rows in period order: the training rows, then the test rows.
	order := allRows(ds.Rows())
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ds.Period[a], ds.Period[b]) })
	split, _ := slices.BinarySearchFunc(order, firstTest, func(i, p int) int { return cmp.Compare(ds.Period[i], p) })
	train, test := order[:split], order[split:]

	trainPos, trainNeg := countOutcomes(&ds, train)
	testPos, testNeg := countOutcomes(&ds, test)
	needTest := max(1, opts.MinPositives/3)
	switch {
	case trainPos < opts.MinPositives:
		return nil, &TooLittleHistory{What: "positive rows in the training periods", Have: trainPos, Need: opts.MinPositives}
	case testPos < needTest:
		return nil, &TooLittleHistory{What: "positive rows in the test periods", Have: testPos, Need: needTest}
	case trainNeg == 0:
		return nil, &TooLittleHistory{What: "negative rows in the training periods", Have: 0, Need: 1}
	case testNeg == 0:
		return nil, &TooLittleHistory{What: "negative rows in the test periods", Have: 0, Need: 1}
	}

	tested, tuning, err := fitAdditive(&ds, train, opts, 0, nil)
	if err != nil {
		return nil, err
	}
	res.Tested, res.Model = tested, tested
	bound, err := Bind(tested, ds.Inputs)
	if err != nil {
		return nil, err
	}
	res.Train = evaluateOn(bound, &ds, train, opts.Thresholds)
	res.Test = evaluateOn(bound, &ds, test, opts.Thresholds)
	if opts.Baseline != nil {
		base, err := Bind(opts.Baseline, ds.Inputs)
		if err != nil {
			return nil, fmt.Errorf("fit: baseline: %w", err)
		}
		m := evaluateOn(base, &ds, test, opts.Thresholds)
		res.Baseline = &m
	}
	fittedRows, fittedPeriods := train, res.TrainPeriods
	if opts.Refit {
		refit, _, err := fitAdditive(&ds, order, opts, tuning.Smooth, tested)
		if err != nil {
			return nil, fmt.Errorf("refit on every period: %w", err)
		}
		res.Model = refit
		fittedRows, fittedPeriods = order, periods
	}

	card := res.Model.Card()
	*card = tuning
	card.Kind = KindAdditive
	card.FittedAt = time.Now().UTC().Truncate(time.Second)
	card.FittedOn = labels(fittedPeriods, opts.PeriodLabel)
	card.TestedOn = labels(res.TestPeriods, opts.PeriodLabel)
	card.Refitted = opts.Refit
	card.Rows = len(fittedRows)
	card.Positives, _ = countOutcomes(&ds, fittedRows)
	card.Entities = countEntities(&ds, fittedRows)
	testFigures := res.Test
	card.Test = &testFigures
	card.Baseline = res.Baseline
	if res.Model != res.Tested {
		*res.Tested.Card() = *card
		tc := res.Tested.Card()
		tc.Refitted = false
		tc.FittedOn = labels(res.TrainPeriods, opts.PeriodLabel)
		tc.Rows = len(train)
		tc.Positives = trainPos
		tc.Entities = countEntities(&ds, train)
	}
	return res, nil
}

// fitAdditive fits an additive model on ds's rows (in period order). With
// smooth 0 it chooses the smoothing out of time: fitted on every period but
// the latest with each value of the grid, the value whose model has the least
// weighted log-loss on the latest period wins. A refit passes the tested
// model as warm: the refit keeps its bins (so the model in use has the shapes
// that were tested, fitted again with the later rows) and starts from its
// coefficients. The returned card holds the fit's settings.
func fitAdditive(ds *Dataset, rows []int, opts Options, smooth float64, warm *Additive) (*Additive, Card, error) {
	edges := make([][]float64, len(ds.Inputs))
	if warm != nil {
		for k := range warm.shapes {
			edges[k] = warm.shapes[k].Edges
		}
	} else {
		var buf []valueWeight
		for k, col := range ds.Cols {
			edges[k], buf = quantileEdges(col, ds.W, rows, opts.MaxBins, buf)
		}
	}
	b := binRows(ds, rows, edges)
	card := Card{MaxBins: opts.MaxBins, Ridge: opts.Ridge, Smooth: smooth}
	var start []float64
	if warm != nil {
		start = make([]float64, b.dim)
		start[0] = warm.intercept
		for k, s := range warm.shapes {
			copy(start[b.off[k]:], s.Coef)
			start[b.off[k]+b.nb[k]] = s.Missing
		}
	}
	switch {
	case smooth > 0 && opts.Smooth > 0:
		card.SmoothChosenBy, card.SmoothWhy = "set by the caller", SmoothByCaller
	case smooth > 0:
		card.SmoothChosenBy, card.SmoothWhy = "chosen before the refit", SmoothBeforeRefit
	case opts.Smooth > 0:
		card.Smooth, card.SmoothChosenBy, card.SmoothWhy = opts.Smooth, "set by the caller", SmoothByCaller
	default:
		var err error
		start, err = chooseSmooth(b, opts, &card)
		if err != nil {
			return nil, Card{}, err
		}
	}
	o := newObjective(b, 0, b.n, card.Smooth, opts.Ridge)
	x, err := o.minimise(start, opts.MaxIterations, fitTolerance)
	if err != nil {
		return nil, Card{}, err
	}
	return b.additiveFrom(ds.Inputs, edges, x, 0, b.n), card, nil
}

// chooseSmooth sets card.Smooth by fitting on every period of b but the
// latest and scoring the latest, and returns the winner's coefficients to
// start the full fit from. With one period, or too few positives or no
// negatives in the latest, it keeps DefaultSmooth and says why.
func chooseSmooth(b *binnedRows, opts Options, card *Card) ([]float64, error) {
	last := b.period[b.n-1]
	k := b.n
	for k > 0 && b.period[k-1] == last {
		k--
	}
	card.Smooth = DefaultSmooth
	if k == 0 {
		card.SmoothChosenBy, card.SmoothWhy = "default: one training period, none to choose it on", SmoothOnePeriod
		return nil, nil
	}
	pos, neg := 0, 0
	for r := k; r < b.n; r++ {
		if b.y[r] == 1 {
			pos++
		} else {
			neg++
		}
	}
	trainPos := 0
	for r := range k {
		if b.y[r] == 1 {
			trainPos++
		}
	}
	if need := max(1, opts.MinPositives/3); pos < need || neg == 0 || trainPos == 0 || trainPos == k {
		card.SmoothChosenBy = fmt.Sprintf("default: the latest training period has %d positive and %d negative rows, too few to choose it on", pos, neg)
		card.SmoothWhy, card.SmoothRows = SmoothTooFew, &[2]int{pos, neg}
		return nil, nil
	}
	// Strongest smoothing first: each fit starts where the smoother one
	// ended, which is close; the validation loss rises on either side of the
	// best smoothing, so the first rise ends the search.
	grid := slices.Clone(opts.SmoothGrid)
	slices.Sort(grid)
	slices.Reverse(grid)
	var start, best []float64
	bestLoss := 0.0
	for _, s := range grid {
		o := newObjective(b, 0, k, s, opts.Ridge)
		x, err := o.minimise(start, opts.MaxIterations, searchTolerance)
		if err != nil {
			return nil, fmt.Errorf("choosing the smoothing (%v): %w", s, err)
		}
		loss := b.logLoss(x, k, b.n)
		card.SmoothSearch = append(card.SmoothSearch, SmoothTrial{Smooth: s, LogLoss: loss})
		if best != nil && loss >= bestLoss {
			break
		}
		best, bestLoss, card.Smooth = x, loss, s
		start = x
	}
	slices.SortFunc(card.SmoothSearch, func(a, b SmoothTrial) int { return cmp.Compare(a.Smooth, b.Smooth) })
	card.SmoothChosenBy, card.SmoothWhy = "least log-loss on the latest training period, fitted on the earlier ones", SmoothLogLoss
	return best, nil
}

// evaluateOn scores rows of ds with b and measures the scores.
func evaluateOn(b *Bound, ds *Dataset, rows []int, thresholds []float64) Metrics {
	p := b.probabilities(ds, rows)
	y := make([]bool, len(rows))
	w := make([]float64, len(rows))
	for r, i := range rows {
		y[r], w[r] = ds.Y[i], ds.weight(i)
	}
	return Evaluate(p, y, w, thresholds...)
}

func countOutcomes(ds *Dataset, rows []int) (pos, neg int) {
	for _, i := range rows {
		if ds.Y[i] {
			pos++
		} else {
			neg++
		}
	}
	return pos, neg
}

func countEntities(ds *Dataset, rows []int) int {
	if ds.Entity == nil {
		return 0
	}
	seen := make(map[int64]struct{})
	for _, i := range rows {
		seen[ds.Entity[i]] = struct{}{}
	}
	return len(seen)
}

func labels(periods []int, label func(int) string) []string {
	out := make([]string, len(periods))
	for i, p := range periods {
		out[i] = label(p)
	}
	return out
}
