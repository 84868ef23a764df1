package model

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// objective is the penalised, weighted log-loss of an additive model over
// rows [lo, hi) of binned rows, divided by their total weight so that its
// size does not grow with the rows:
//
//	f(β) = Σ wᵢ ℓ(zᵢ, yᵢ) / W + s·q Σₖ Σⱼ (βₖ,ⱼ₊₁ − βₖ,ⱼ)² + (ridge/W) Σₖ Σⱼ (βₖ,ⱼ − β̄ₖ)²
//
// where ℓ is the log-loss, q = p̄(1−p̄) the information per unit of weight at
// the mean rate p̄ (so the smoothing s is relative to how much the rows say),
// the differences run over adjacent value bins of each input (not the missing
// bin), and the ridge pulls every coefficient of an input, the missing bin's
// included, toward their mean β̄ₖ. The intercept is not penalised. Adding a
// constant to one input's coefficients and taking it from the intercept
// changes nothing, so that direction has no slope and the optimiser never
// moves along it; the centring after the fit fixes the split.
type objective struct {
	b       *binnedRows
	lo, hi  int
	sw, rw  float64   // smoothing and ridge weights as they enter f
	invW    float64   // 1 / total weight
	z       []float64 // scratch: each row's log-odds
	lastX   []float64 // the point the cached gradient belongs to
	lastF   float64
	lastG   []float64
	hasLast bool
}

func newObjective(b *binnedRows, lo, hi int, smooth, ridge float64) *objective {
	W, P := 0.0, 0.0
	for r := lo; r < hi; r++ {
		W += b.w[r]
		P += b.w[r] * b.y[r]
	}
	p := P / W
	return &objective{
		b: b, lo: lo, hi: hi,
		sw:    smooth * p * (1 - p),
		rw:    ridge / W,
		invW:  1 / W,
		z:     make([]float64, hi-lo),
		lastX: make([]float64, b.dim),
		lastG: make([]float64, b.dim),
	}
}

// eval computes f and its gradient at x in one pass over the rows; gonum asks
// for the value and the gradient at the same point one after the other, so
// the gradient is kept for the second call.
func (o *objective) eval(x []float64) {
	if o.hasLast && slices.Equal(x, o.lastX) {
		return
	}
	b, g := o.b, o.lastG
	K := b.inputs
	clear(g)
	f := 0.0
	cells := b.cells[o.lo*K : o.hi*K]
	off := b.off
	for r := range o.z {
		row := cells[r*K : r*K+K]
		z := x[0]
		for k, c := range row {
			z += x[off[k]+int(c)]
		}
		y, w := b.y[o.lo+r], b.w[o.lo+r]
		// log(1+e^z) - y·z, and its derivative p - y, without overflow.
		var loss, p float64
		if z >= 0 {
			e := math.Exp(-z)
			loss = z + math.Log1p(e) - y*z
			p = 1 / (1 + e)
		} else {
			e := math.Exp(z)
			loss = math.Log1p(e) - y*z
			p = e / (1 + e)
		}
		f += w * loss
		res := w * (p - y)
		g[0] += res
		for k, c := range row {
			g[off[k]+int(c)] += res
		}
	}
	f *= o.invW
	for j := range g {
		g[j] *= o.invW
	}
	for k := range K {
		bins := x[off[k] : off[k]+b.nb[k]+1] // value bins and the missing bin
		mean := 0.0
		for _, v := range bins {
			mean += v
		}
		mean /= float64(len(bins))
		for j, v := range bins {
			f += o.rw * (v - mean) * (v - mean)
			g[off[k]+j] += 2 * o.rw * (v - mean)
		}
		for j := off[k]; j < off[k]+b.nb[k]-1; j++ {
			d := x[j+1] - x[j]
			f += o.sw * d * d
			g[j] -= 2 * o.sw * d
			g[j+1] += 2 * o.sw * d
		}
	}
	o.lastF = f
	copy(o.lastX, x)
	o.hasLast = true
}

// minimise fits the coefficients from start (nil: the mean rate, all bins 0).
//
// L-BFGS is run on rescaled coefficients θ = β·√h, where h is the diagonal
// of the objective's curvature at the mean rate (a bin's share of the weight
// times p̄(1−p̄), plus its penalties): without it a bin holding 1% of the rows
// is a hundred times flatter than the intercept and the optimiser crawls.
func (o *objective) minimise(start []float64, maxIter int, tolerance float64) ([]float64, error) {
	b := o.b
	K := b.inputs
	W, P := 0.0, 0.0
	h := make([]float64, b.dim)
	for r := o.lo; r < o.hi; r++ {
		w := b.w[r]
		W += w
		P += w * b.y[r]
		for k, c := range b.cells[r*K : r*K+K] {
			h[b.off[k]+int(c)] += w
		}
	}
	p := P / W
	h[0] = p * (1 - p)
	for j := 1; j < b.dim; j++ {
		h[j] = h[j]/W*p*(1-p) + 2*o.rw
	}
	for k := range K {
		for j := b.off[k]; j < b.off[k]+b.nb[k]-1; j++ {
			h[j] += 2 * o.sw
			h[j+1] += 2 * o.sw
		}
	}
	scale := make([]float64, b.dim) // β = θ·scale
	for j := range h {
		scale[j] = 1 / math.Sqrt(h[j])
	}

	theta0 := make([]float64, b.dim)
	if start == nil {
		theta0[0] = math.Log(P/(W-P)) / scale[0]
	} else {
		for j := range theta0 {
			theta0[j] = start[j] / scale[j]
		}
	}
	beta := make([]float64, b.dim)
	toBeta := func(theta []float64) []float64 {
		for j := range theta {
			beta[j] = theta[j] * scale[j]
		}
		return beta
	}
	prob := optimize.Problem{
		Func: func(theta []float64) float64 { o.eval(toBeta(theta)); return o.lastF },
		Grad: func(g, theta []float64) {
			o.eval(toBeta(theta))
			for j := range g {
				g[j] = o.lastG[j] * scale[j]
			}
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: tolerance,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Relative: 1e-10, Iterations: 25},
	}
	res, err := optimize.Minimize(prob, theta0, settings, &optimize.LBFGS{Store: 10})
	if res == nil || (err != nil && !errors.Is(err, optimize.ErrLinesearcherFailure)) {
		return nil, fmt.Errorf("fitting the additive model: %w", err)
	}
	x := make([]float64, b.dim)
	for j, t := range res.X {
		x[j] = t * scale[j]
		if !finite(x[j]) {
			return nil, errors.New("fitting the additive model: a coefficient is not finite")
		}
	}
	return x, nil
}

// The fit stops when no rescaled coefficient's slope of the mean penalised
// log-loss exceeds a tolerance: a coefficient is then within about
// tolerance/√h of its optimum. At fitTolerance that is 1e-4 for a bin of a
// sixteenth of the rows at a rate of 10%, 1e-3 for a bin of 0.1% of them;
// choosing the smoothing only compares log-losses, and searchTolerance ten
// times looser changes them by far less than the smoothings differ.
const (
	fitTolerance    = 1e-5
	searchTolerance = 1e-4
)

// logLoss is the weighted mean log-loss of coefficients x over rows [lo, hi).
func (b *binnedRows) logLoss(x []float64, lo, hi int) float64 {
	K := b.inputs
	f, W := 0.0, 0.0
	for r := lo; r < hi; r++ {
		row := b.cells[r*K : r*K+K]
		z := x[0]
		for k, c := range row {
			z += x[b.off[k]+int(c)]
		}
		f += b.w[r] * (softplus(z) - b.y[r]*z)
		W += b.w[r]
	}
	return f / W
}

// softplus is log(1+e^z) without overflow.
func softplus(z float64) float64 {
	if z >= 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// additiveFrom centres fitted coefficients x on rows [lo, hi) and makes the
// model: each input's weighted mean contribution over those rows moves into
// the intercept, a bin no row fell in contributes 0, and each input's
// importance is its weighted mean absolute contribution.
func (b *binnedRows) additiveFrom(inputs []string, edges [][]float64, x []float64, lo, hi int) *Additive {
	K := b.inputs
	binW := make([]float64, b.dim)
	W := 0.0
	for r := lo; r < hi; r++ {
		w := b.w[r]
		W += w
		for k, c := range b.cells[r*K : r*K+K] {
			binW[b.off[k]+int(c)] += w
		}
	}
	m := &Additive{card: Card{Kind: KindAdditive}, intercept: x[0], shapes: make([]Shape, K)}
	for k := range K {
		lo, hi := b.off[k], b.off[k]+b.nb[k]+1 // value bins, then the missing bin
		mean := 0.0
		for j := lo; j < hi; j++ {
			mean += binW[j] * x[j]
		}
		mean /= W
		m.intercept += mean
		coef := make([]float64, hi-lo)
		imp := 0.0
		for j := lo; j < hi; j++ {
			if binW[j] > 0 {
				coef[j-lo] = x[j] - mean
				imp += binW[j] * math.Abs(coef[j-lo])
			}
		}
		m.shapes[k] = Shape{
			Input:      inputs[k],
			Edges:      slices.Clone(edges[k]),
			Coef:       coef[:b.nb[k]],
			Missing:    coef[b.nb[k]],
			Importance: imp / W,
		}
	}
	return m
}
