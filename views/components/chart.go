package components

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/relaycrm/relay/internal/i18n"
)

// Option is a value and label in a drop-down.
type Option struct{ Value, Label string }

// BarPoint is one month's value in a bar chart.
type BarPoint struct {
	Month time.Time
	Value int64
	Title string // the tooltip: month and formatted value
}

// barChart is the geometry of an inline SVG bar chart, computed on the server.
type barChart struct {
	Width, Height     int
	Bars              []bar
	Ticks             []tick
	AvgY              float64
	HasAvg            bool
	AvgLabel          string
	PlotLeft, PlotBot float64
}

type bar struct {
	X, Y, W, H float64
	Title      string
	Label      string // month label under every third bar
	Last       bool
}

type tick struct {
	Y     float64
	Label string
}

const (
	chartW, chartH = 1000, 240
	padL, padR     = 64, 12
	padT, padB     = 12, 28
)

// layoutBars lays out points (oldest first) with an optional average line.
//
// monthLabel writes a month under its bar, short ("Jan 06").
func layoutBars(points []BarPoint, avg int64, hasAvg bool, fmtTick func(int64) string, monthLabel func(time.Time) string) barChart {
	c := barChart{Width: chartW, Height: chartH, PlotLeft: padL, PlotBot: chartH - padB}
	var top int64 = 1
	for _, p := range points {
		top = max(top, p.Value)
	}
	if hasAvg {
		top = max(top, avg)
	}
	step := niceStep(float64(top) / 4)
	maxY := step * math.Ceil(float64(top)/step)
	plotH := float64(chartH - padT - padB)
	plotW := float64(chartW - padL - padR)
	y := func(v float64) float64 { return float64(chartH-padB) - v/maxY*plotH }
	for v := 0.0; v <= maxY+step/2; v += step {
		c.Ticks = append(c.Ticks, tick{Y: y(v), Label: fmtTick(int64(v))})
	}
	n := len(points)
	if n == 0 {
		return c
	}
	slot := plotW / float64(n)
	for i, p := range points {
		h := math.Max(float64(p.Value)/maxY*plotH, 0)
		b := bar{X: padL + float64(i)*slot + slot*0.15, W: slot * 0.7, Y: y(math.Max(float64(p.Value), 0)), H: h,
			Title: p.Title, Last: i == n-1}
		if (n-1-i)%3 == 0 {
			b.Label = monthLabel(p.Month)
		}
		c.Bars = append(c.Bars, b)
	}
	if hasAvg {
		c.HasAvg, c.AvgY = true, y(float64(avg))
	}
	return c
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// shortMonth writes a month short in locale l, as "Jan 06" in English.
func shortMonth(l i18n.Locale) func(time.Time) string {
	return func(t time.Time) string {
		m := l.Month(t)
		if y := strconv.Itoa(t.Year()); strings.HasSuffix(m, y) && len(y) == 4 {
			m = strings.TrimSuffix(m, y) + y[2:]
		}
		return m
	}
}
