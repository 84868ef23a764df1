package seeds

import "time"

// Behaviour is what a demo client does over its life with the bank: the
// generator's ground truth, which Relay never sees. Tests use it to check the
// demo's shape and to judge how well the warnings find each kind of leaver.
type Behaviour uint8

// The behaviours of demo clients. Stayers first, then leavers (a leaver may
// still be with the bank at the end of the data: it leaves later).
const (
	// Steady stays on its plateau (seasonal industries still swing).
	Steady Behaviour = iota
	// Dip stays: its turnover, transactions and balance dip for some months
	// and recover, sometimes with a product closed.
	Dip
	// StepDown stays: it steps down to a lower level and holds there,
	// sometimes with a product closed.
	StepDown
	// Fading leaves after months of falling income, turnover, balance and
	// transactions, of varied depth and length, often closing key products
	// early.
	Fading
	// Abrupt leaves with few or no signs: steady until a month or so before,
	// everything closed on the day.
	Abrupt
	// Complaining starts contacts and complains in the months before it
	// leaves, and declines only mildly.
	Complaining
	// Quiet has more and more months with almost no transactions in its last
	// year while its fixed fees hold up, then leaves.
	Quiet
)

var behaviourNames = [...]string{"steady", "dip", "step_down", "fading", "abrupt", "complaining", "quiet"}

func (b Behaviour) String() string {
	if int(b) < len(behaviourNames) {
		return behaviourNames[b]
	}
	return "unknown"
}

// Leaves reports whether a client of this behaviour leaves the bank.
func (b Behaviour) Leaves() bool { return b >= Fading }

// Behaviours returns the behaviour of every client of the demo bank that o
// describes, in client order (index i is client id i+1). It draws the same
// clients Load writes, without writing them.
func Behaviours(o Options) []Behaviour {
	if o.Clients < 1 {
		return nil
	}
	end := time.Date(o.End.Year(), o.End.Month(), 1, 0, 0, 0, 0, time.UTC)
	p := newPlan(o.Seed, end, o.Months, o.Clients)
	out := make([]Behaviour, o.Clients)
	var d demoClient
	for i := range out {
		p.draw(i, &d)
		out[i] = d.kind
	}
	return out
}

// The demo's behaviours: how likely a client is to leave, and how it leaves
// or stays. Each is a property of the business the demo imitates, not a
// setting of Relay.
const (
	// leaveLogit sets the share of leavers (about 42%) for a client holding
	// the typical four products besides its current account, with no trait
	// below; each product more or fewer moves the log-odds by productLogit.
	leaveLogit   = -0.25
	productLogit = -0.16
	// A client that transacts far less than its peers (lowActivityShare of
	// clients, at lowActivityLevel of their level) is likelier to leave...
	lowActivityShare = 0.12
	lowActivityLevel = 0.25
	lowActivityLogit = 0.9
	// ... and so is one with a grievance, which starts contacts and complains.
	grievanceShare = 0.10
	grievanceLogit = 1.0
	// Contacts: the chance in a month of one started by the manager (a few
	// clients are hardly ever called) and of one started by the client, and
	// the share of the client's that are complaints.
	bankContactRate        = 0.33
	rareContactShare       = 0.18
	rareContactRate        = 0.06
	clientContactRate      = 0.05
	clientComplaintShare   = 0.12
	grievanceContactRate   = 0.15
	grievanceComplaintRate = 0.45
	// A staying client has, now and then, one month without transactions.
	quietMonthShare = 0.08
)

// leaverShares are the shares of the ways to leave (fading, abrupt,
// complaining, quiet) by size band (micro, small, medium), before the
// industry's and the client's own leanings: micro clients more often just
// stop, medium ones more often fall out with the bank first.
var leaverShares = [3][4]float64{
	{0.36, 0.30, 0.14, 0.20},
	{0.46, 0.20, 0.20, 0.14},
	{0.52, 0.12, 0.26, 0.10},
}

// industryLeaning multiplies leaverShares by industry: construction,
// hotels and transport often stop abruptly; farms, real estate and hotels go
// quiet; knowledge and finance businesses switch bank after a dispute.
var industryLeaning = map[string][4]float64{
	"A": {1, 1, 1, 1.6},
	"C": {1.1, 1, 1.3, 1},
	"F": {1, 1.7, 1, 1},
	"G": {1.2, 1, 1, 1},
	"H": {1, 1.3, 1, 1},
	"I": {1, 1.5, 1, 1.3},
	"J": {1, 1, 1.5, 1},
	"K": {1, 1, 1.6, 1},
	"L": {1, 1, 1, 1.8},
	"M": {1, 1, 1.5, 1},
}

// A client with a grievance leaves complaining far more often, and one that
// transacts little goes quiet more often.
const (
	grievanceComplains = 5.0
	lowActivityQuiet   = 3.0
)

// stayerShares are the shares of dip and step-down stayers by size band:
// small businesses' fortunes swing more.
var stayerShares = [3][2]float64{
	{0.12, 0.07},
	{0.10, 0.06},
	{0.08, 0.05},
}

// seasons are the industries whose turnover and transactions swing with the
// season: the range of the swing's amplitude and the month of its peak.
var seasons = map[string]struct{ lo, hi, peak float64 }{
	"A": {0.2, 0.4, 8.5},  // harvest
	"F": {0.15, 0.35, 7},  // building season
	"I": {0.2, 0.45, 7.5}, // summer tourism (more on the coast)
	"R": {0.1, 0.2, 7},    // summer events
}
