package components

import (
	"fmt"
	"math"
	"strings"
)

// Series is one line of a LineChart: a value per point (NaN: none).
type Series struct {
	Name, Class string
	Values      []float64
}

// lineLayout places a LineChart's lines, points, axis ticks and shaded
// points on a 720 x 220 canvas.
type lineLayout struct {
	Width, Height       float64
	PlotLeft, PlotRight float64
	PlotTop, PlotBot    float64
	Paths               []linePath
	Ticks               []tick
	Labels              []lineLabel
	Shades              []lineShade
}

type linePath struct {
	Class, D string
	Dots     []lineDot
}

type lineDot struct {
	X, Y  float64
	Title string
}

type lineLabel struct {
	X     float64
	Label string
}

type lineShade struct {
	X, W float64
}

func layoutLines(series []Series, xs []string, shaded []bool, unit string) lineLayout {
	l := lineLayout{Width: 720, Height: 220, PlotLeft: 48, PlotRight: 708, PlotTop: 12, PlotBot: 190}
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				top = math.Max(top, v)
			}
		}
	}
	if top <= 0 {
		top = 1
	}
	top = niceCeil(top)
	n := len(xs)
	step := (l.PlotRight - l.PlotLeft) / math.Max(float64(n), 1)
	x := func(i int) float64 { return l.PlotLeft + step*(float64(i)+0.5) }
	y := func(v float64) float64 { return l.PlotBot - (l.PlotBot-l.PlotTop)*v/top }
	for k := 0; k <= 4; k++ {
		v := top * float64(k) / 4
		l.Ticks = append(l.Ticks, tick{Y: y(v), Label: trimFloat(v)})
	}
	every := max(1, n/12)
	for i, s := range xs {
		if i%every == 0 {
			l.Labels = append(l.Labels, lineLabel{X: x(i), Label: s})
		}
		if i < len(shaded) && shaded[i] {
			l.Shades = append(l.Shades, lineShade{X: x(i) - step/2, W: step})
		}
	}
	for _, s := range series {
		p := linePath{Class: s.Class}
		var d strings.Builder
		pen := false
		for i, v := range s.Values {
			if math.IsNaN(v) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(i), y(v))
			pen = true
			label := ""
			if i < len(xs) {
				label = xs[i]
			}
			p.Dots = append(p.Dots, lineDot{X: x(i), Y: y(v), Title: fmt.Sprintf("%s %s: %s%s", s.Name, label, trimFloat(v), unit)})
		}
		p.D = strings.TrimSpace(d.String())
		l.Paths = append(l.Paths, p)
	}
	return l
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
