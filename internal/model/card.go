package model

import "time"

// The kinds of model.
const (
	KindAdditive = "additive"
	KindLinear   = "linear"
)

// Card describes a model: what it predicts, for whom, what it was fitted and
// tested on and how it did there. Fit fills the figures; the caller sets the
// words (purpose, target, scope, and the baseline's name). Each input's shape
// is the model's own (Additive.Shapes, Linear.Weights), stored beside the
// card in the model's file.
type Card struct {
	Kind     string    `json:"kind"`    // KindAdditive or KindLinear
	Purpose  string    `json:"purpose"` // e.g. "churn"
	Target   string    `json:"target"`  // what a positive row is, in words
	Scope    string    `json:"scope"`   // whose rows, e.g. a bank or the group
	FittedAt time.Time `json:"fitted_at"`
	FittedOn []string  `json:"fitted_on"` // the periods the model was fitted on
	TestedOn []string  `json:"tested_on"` // the periods it was tested on
	// Refitted says that after the test the model was fitted again on every
	// period, test periods included: Test then gives the figures of the same
	// method fitted on the earlier periods only.
	Refitted  bool `json:"refitted"`
	Rows      int  `json:"rows"`      // rows the model was fitted on
	Positives int  `json:"positives"` // of which positive
	Entities  int  `json:"entities"`  // distinct entities among them; 0 when unknown
	// Test holds the figures out of time, Baseline the baseline's on the same
	// rows (nil when there was none), BaselineName says what the baseline is.
	Test         *Metrics `json:"test,omitempty"`
	Baseline     *Metrics `json:"baseline,omitempty"`
	BaselineName string   `json:"baseline_name,omitempty"`
	// MaxBins, Ridge and Smooth are the additive fit's settings; SmoothChosenBy
	// says how Smooth was chosen and SmoothSearch what each tried value scored.
	MaxBins        int     `json:"max_bins,omitempty"`
	Ridge          float64 `json:"ridge,omitempty"`
	Smooth         float64 `json:"smooth,omitempty"`
	SmoothChosenBy string  `json:"smooth_chosen_by,omitempty"`
	// SmoothWhy is SmoothChosenBy as a code (Smooth*), for pages to say in
	// their reader's language, and SmoothRows the positive and negative rows
	// of SmoothTooFew; empty on cards written before they were kept.
	SmoothWhy    string        `json:"smooth_why,omitempty"`
	SmoothRows   *[2]int       `json:"smooth_rows,omitempty"`
	SmoothSearch []SmoothTrial `json:"smooth_search,omitempty"`
}

// The ways the smoothing was chosen (Card.SmoothWhy).
const (
	SmoothByCaller    = "caller"
	SmoothBeforeRefit = "before_refit"
	SmoothOnePeriod   = "one_period"
	SmoothTooFew      = "too_few"
	SmoothLogLoss     = "log_loss"
)

// SmoothTrial is one smoothing tried: its weighted log-loss on the latest
// training period when fitted on the earlier ones.
type SmoothTrial struct {
	Smooth  float64 `json:"smooth"`
	LogLoss float64 `json:"log_loss"`
}
