package components

import "math"

// driverBar places a contribution's bar: x and width on a 120-wide axis whose
// middle is no effect.
func driverBar(share float64) (x, w float64) {
	share = math.Max(-1, math.Min(1, share))
	w = math.Abs(share) * 58
	if share >= 0 {
		return 60, w
	}
	return 60 - w, w
}
