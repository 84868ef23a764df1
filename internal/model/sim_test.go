package model

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// simulation describes rows drawn from a known model, so that a fit can be
// checked against the truth.
type simulation struct {
	rows, periods, noise int
	seed                 uint64
	// stayerSample, when in (0,1), keeps only that share of negative rows,
	// weighted 1/stayerSample, as the nightly fit samples stayers.
	stayerSample float64
}

// The planted truth: log-odds = -3.2
//
//   - 2.2 when idle_months >= 3 (months without activity),
//   - a falling, monotone shape of turnover_ratio: -1.6·min(ratio, 1.5) + 1.2,
//   - 1.0 when balance_ratio is missing (it has no effect otherwise),
//
// and noise inputs that do nothing.
func plantedLogOdds(idle, ratio, balance float64) float64 {
	z := -3.2 + 1.2 - 1.6*math.Min(ratio, 1.5)
	if idle >= 3 {
		z += 2.2
	}
	if math.IsNaN(balance) {
		z += 1.0
	}
	return z
}

func (s simulation) dataset() Dataset {
	rng := rand.New(rand.NewPCG(s.seed, 9))
	inputs := []string{"idle_months", "turnover_ratio", "balance_ratio"}
	for k := range s.noise {
		inputs = append(inputs, "noise_"+strconv.Itoa(k))
	}
	ds := Dataset{Inputs: inputs, Cols: make([][]float64, len(inputs))}
	for k := range ds.Cols {
		ds.Cols[k] = make([]float64, 0, s.rows)
	}
	sample := s.stayerSample
	if sample <= 0 || sample >= 1 {
		sample = 1
	} else {
		ds.W = make([]float64, 0, s.rows)
	}
	ds.Entity = make([]int64, 0, s.rows)
	for len(ds.Y) < s.rows {
		idle := 0.0
		if rng.Float64() < 0.3 {
			idle = float64(1 + rng.IntN(12))
		}
		ratio := 2 * rng.Float64()
		balance := rng.NormFloat64()
		if rng.Float64() < 0.15 {
			balance = math.NaN()
		}
		y := rng.Float64() < Probability(plantedLogOdds(idle, ratio, balance))
		if !y && sample < 1 && rng.Float64() >= sample {
			continue
		}
		i := len(ds.Y)
		ds.Cols[0] = append(ds.Cols[0], idle)
		ds.Cols[1] = append(ds.Cols[1], ratio)
		ds.Cols[2] = append(ds.Cols[2], balance)
		for k := range s.noise {
			var v float64
			switch k % 4 {
			case 0:
				v = rng.NormFloat64()
			case 1:
				v = float64(rng.IntN(2)) // a 0/1 flag
			case 2:
				v = math.Exp(rng.NormFloat64()) // skewed, like money
			default:
				v = float64(rng.IntN(5))
				if rng.Float64() < 0.1 {
					v = math.NaN()
				}
			}
			ds.Cols[3+k] = append(ds.Cols[3+k], v)
		}
		ds.Y = append(ds.Y, y)
		if ds.W != nil {
			w := 1.0
			if !y {
				w = 1 / sample
			}
			ds.W = append(ds.W, w)
		}
		ds.Period = append(ds.Period, i*s.periods/s.rows)
		ds.Entity = append(ds.Entity, int64(i%(s.rows/s.periods+1)))
	}
	return ds
}
