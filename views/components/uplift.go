package components

import (
	"fmt"
	"math"
)

// UpliftPoint is one product's uplift with its 95% interval, in percentage
// points.
type UpliftPoint struct {
	Label        string
	Diff, Lo, Hi float64 // fractions: 0.05 is 5 points
	Title        string  // the tooltip
}

// upliftChart is the geometry of a forest plot: a row per product, a dot at
// its uplift and a line across its interval, and the zero line.
type upliftChart struct {
	Width, Height int
	Rows          []upliftRow
	ZeroX         float64
	Ticks         []upliftTick
	PlotTop       float64
	PlotBot       float64
}

type upliftRow struct {
	Y, X, X1, X2 float64
	Label, Title string
	Clear        bool // the interval is all above zero
	Below        bool // all below
}

type upliftTick struct {
	X     float64
	Label string
}

const (
	upliftW, upliftRowH  = 1000, 26
	upliftLeft, upliftPR = 220, 20
	upliftTop, upliftBot = 8, 26
)

func layoutUplift(points []UpliftPoint) upliftChart {
	c := upliftChart{Width: upliftW, Height: upliftTop + upliftBot + upliftRowH*len(points), PlotTop: upliftTop}
	c.PlotBot = float64(c.Height - upliftBot)
	lo, hi := 0.0, 0.0
	for _, p := range points {
		lo, hi = math.Min(lo, p.Lo), math.Max(hi, p.Hi)
	}
	step := niceStep((hi - lo) * 100 / 5)
	lo = math.Floor(lo*100/step) * step
	hi = math.Ceil(hi*100/step) * step
	if hi <= lo {
		hi = lo + step
	}
	x := func(v float64) float64 {
		return upliftLeft + (v*100-lo)/(hi-lo)*float64(upliftW-upliftLeft-upliftPR)
	}
	c.ZeroX = x(0)
	for v := lo; v <= hi+step/2; v += step {
		c.Ticks = append(c.Ticks, upliftTick{X: x(v / 100), Label: fmt.Sprintf("%+.0f", v)})
	}
	for i, p := range points {
		c.Rows = append(c.Rows, upliftRow{Y: float64(upliftTop + upliftRowH*i + upliftRowH/2), X: x(p.Diff),
			X1: x(p.Lo), X2: x(p.Hi), Label: p.Label, Title: p.Title, Clear: p.Lo > 0, Below: p.Hi < 0})
	}
	return c
}
