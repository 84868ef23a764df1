package seeds

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// The demo's shape. Each is a property of the business the demo imitates, not
// a setting of Relay.
const (
	clientsPerManager = 150
	churnerShare      = 0.42 // share of clients that decline and leave within the demo's history
	arrivalMonths     = 96   // clients arrived over the last eight years, recent ones more often
	contactMonths     = 12   // contact history kept for the last year
	// A branch serves at most about this many SME clients: a bigger bank has
	// more branches, not bigger ones (at 1,000,000 clients, about 400).
	clientsPerBranch = 2500
)

// plan is the fixed frame every client is generated in: the reference data
// laid out for fast lookup and the month window of facts.
type plan struct {
	seed      uint64
	months    []time.Time // first day of each month of facts, oldest first
	today     time.Time   // the first day after the last month: "now" for the demo
	branches  []branchPlan
	branchCum []float64 // cumulative pick weights of branches
	indCum    []float64 // cumulative pick weights of industries
	managers  [][]int64 // manager user ids per branch index
}

type branchPlan struct {
	id, bankIdx, regionIdx int
	regionID               int
	number                 int // within its region
	code                   string
}

func newPlan(seed uint64, end time.Time, months, clients int) *plan {
	p := &plan{seed: seed}
	first := end.AddDate(0, -(months - 1), 0)
	for i := 0; i < months; i++ {
		p.months = append(p.months, first.AddDate(0, i, 0))
	}
	p.today = end.AddDate(0, 1, 0)
	bankWeights := []float64{0.45, 0.35, 0.20}
	var cum float64
	regionID := 0
	for bi, b := range Banks {
		for ri, r := range b.Regions {
			regionID++
			branches := max(r.Branches, int(math.Ceil(float64(clients)*bankWeights[bi]*r.Weight/clientsPerBranch)))
			for k := 0; k < branches; k++ {
				p.branches = append(p.branches, branchPlan{
					id: len(p.branches) + 1, bankIdx: bi, regionIdx: ri, regionID: regionID, number: k + 1,
					code: b.Code + "-" + r.Code[3:] + "-" + strconv.Itoa(k+1),
				})
				cum += bankWeights[bi] * r.Weight / float64(branches)
				p.branchCum = append(p.branchCum, cum)
			}
		}
	}
	cum = 0
	for _, ind := range Industries {
		cum += ind.Weight
		p.indCum = append(p.indCum, cum)
	}
	return p
}

// pick returns the index whose cumulative weight first exceeds u times the total.
func pick(cum []float64, u float64) int {
	x := u * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// clientRand is client i's own random stream: the same for a seed whatever
// order or worker generates it.
func (p *plan) clientRand(i int) *rand.Rand {
	return rand.New(rand.NewPCG(p.seed, uint64(i)*0x9E3779B97F4A7C15+1))
}

// branchOf is the first draw of client i's stream, so the manager plan can be
// made before the clients are.
func (p *plan) branchOf(r *rand.Rand) int { return pick(p.branchCum, r.Float64()) }

// chunk is the COPY text of a run of clients, one buffer per table.
type chunk struct {
	clients, holdings, contacts []byte
	facts                       [][]byte // per month of plan.months
	rows                        int64
}

// holdingPlan is one product a client holds (or held) and what it earns.
type holdingPlan struct {
	product        int // index in Products
	opened, closed time.Time
	level          float64 // monthly income at plateau, bank currency minor units
}

func monthsBetween(a, b time.Time) float64 {
	return b.Sub(a).Hours() / 24 / 30.44
}

func dateStr(b []byte, t time.Time) []byte { return t.AppendFormat(b, "2006-01-02") }

// generate writes clients [from, to) into a chunk.
func (p *plan) generate(from, to int) *chunk {
	c := &chunk{facts: make([][]byte, len(p.months))}
	hs := make([]holdingPlan, 0, len(Products))
	pids := make([]int, 0, len(Products))
	amts := make([]int64, 0, len(Products))
	for i := from; i < to; i++ {
		hs = p.client(i, c, hs[:0], pids, amts)
	}
	return c
}

func (p *plan) client(i int, c *chunk, hs []holdingPlan, pids []int, amts []int64) []holdingPlan {
	r := p.clientRand(i)
	bp := p.branches[p.branchOf(r)]
	bank := Banks[bp.bankIdx]
	region := bank.Regions[bp.regionIdx]
	regionID := bp.regionID
	if r.Float64() < 0.08 { // registered in another region of the bank's country
		other := r.IntN(len(bank.Regions))
		regionID += other - bp.regionIdx
		region = bank.Regions[other]
	}
	indIdx := pick(p.indCum, r.Float64())
	ind := Industries[indIdx]

	size, sizeAdopt, sizeIncome, turnoverBase, txBase := "micro", 0.75, 0.6, 1.5e6, 40.0
	switch u := r.Float64(); {
	case u > 0.9:
		size, sizeAdopt, sizeIncome, turnoverBase, txBase = "medium", 1.45, 1.7, 70e6, 700
	case u > 0.6:
		size, sizeAdopt, sizeIncome, turnoverBase, txBase = "small", 1.1, 1.0, 12e6, 180
	}
	quality := math.Exp(0.5 * r.NormFloat64())
	ccy := bank.CurrencyPerEUR

	// Lifecycle: arrival, and for churners a lifetime mostly of 24-30 months,
	// ending in a decline of 4-9 months.
	monthsAgo := float64(arrivalMonths) * math.Pow(r.Float64(), 1.35)
	since := p.today.AddDate(0, 0, -int(monthsAgo*30.44)-1)
	var leave time.Time // zero: does not leave
	churner := r.Float64() < churnerShare
	if churner {
		life := 24 + 6*r.Float64()
		if r.Float64() < 0.25 {
			life = 6 + 50*r.Float64()
		}
		leave = since.AddDate(0, 0, int(life*30.44))
	}
	declineMonths := 4 + 5*r.Float64()
	rampTau := 1.2 + 3*r.Float64()
	left := !leave.IsZero() && leave.Before(p.today)

	factor := func(t time.Time) (income, turnover, balance, tx float64) {
		ramp := 1 - math.Exp(-(math.Max(monthsBetween(since, t), 0)+0.5)/rampTau)
		decl := 1.0
		if !leave.IsZero() {
			if toGo := monthsBetween(t, leave); toGo < declineMonths {
				x := math.Max(toGo, 0) / declineMonths
				decl = 0.2 + 0.8*x
			}
		}
		return ramp * decl, ramp * math.Pow(decl, 1.5), ramp * math.Pow(decl, 2), ramp * math.Pow(decl, 1.7)
	}

	// Products: better and bigger clients hold more, industries and regions
	// prefer different ones.
	for pi, ps := range Products {
		prob := ps.Adoption * sizeAdopt * math.Pow(quality, 1.1)
		if m, ok := industryAffinity[ind.Code][ps.Code]; ok {
			prob *= m
		}
		if m, ok := regionAffinity[region.Trait][ps.Code]; ok {
			prob *= m
		}
		mainAccount := ps.Code == "CA-MAIN" // every client opens one on its first day
		if r.Float64() >= math.Min(prob, 0.96) && !mainAccount {
			continue
		}
		opened := since
		if !mainAccount {
			opened = since.AddDate(0, 0, int(r.ExpFloat64()*5*30.44))
		}
		if !opened.Before(p.today) || (!leave.IsZero() && !opened.Before(leave)) {
			continue
		}
		h := holdingPlan{product: pi, opened: opened}
		h.level = (float64(ps.MinMonthly) + float64(ps.MaxMonthly-ps.MinMonthly)*
			math.Min(1, 0.1+0.3*quality*sizeIncome+0.2*r.Float64())) * ccy
		switch {
		case !leave.IsZero():
			// A leaver closes products through its decline: key products
			// one to four months before it goes, the main account on the day.
			closeAt := leave
			if ps.Code != "CA-MAIN" {
				back := declineMonths * r.Float64()
				if ps.Key {
					back = 1 + 3*r.Float64()
				}
				closeAt = leave.AddDate(0, 0, -int(back*30.44))
			}
			if closeAt.Before(opened) {
				closeAt = opened
			}
			if closeAt.Before(p.today) {
				h.closed = closeAt
			}
		case ps.Code != "CA-MAIN" && r.Float64() < 0.06:
			// A staying client sometimes drops a product and carries on.
			closeAt := opened.AddDate(0, 0, int((3+r.ExpFloat64()*12)*30.44))
			if closeAt.Before(p.today) {
				h.closed = closeAt
			}
		}
		hs = append(hs, h)
	}

	managers := p.managers[bp.id-1]
	manager := managers[r.IntN(len(managers))]
	id := int64(i + 1)

	// client row
	b := c.clients
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '\t', '1', '\t')
	b = strconv.AppendInt(b, int64(bp.bankIdx+1), 10)
	b = append(b, '\t', 'C')
	b = strconv.AppendInt(b, 1000000+int64(i), 10)
	b = append(b, '\t')
	b = append(b, bank.TaxPrefix...)
	b = strconv.AppendInt(b, 100000000+(int64(i)*7919)%900000000, 10)
	b = append(b, '\t')
	b = append(b, nameStems[r.IntN(len(nameStems))]...)
	b = append(b, ' ')
	if mid := nameMiddles[r.IntN(len(nameMiddles))]; mid != "" {
		b = append(b, mid...)
		b = append(b, ' ')
	}
	b = append(b, ind.Words[r.IntN(len(ind.Words))]...)
	b = append(b, ' ')
	b = append(b, bank.LegalForms[r.IntN(len(bank.LegalForms))]...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(bp.id), 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(regionID), 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(indIdx+1), 10)
	b = append(b, '\t')
	b = append(b, size...)
	b = append(b, '\t')
	b = dateStr(b, since)
	b = append(b, '\t')
	if left {
		b = dateStr(b, leave)
	} else {
		b = append(b, '\\', 'N')
	}
	b = append(b, '\t')
	b = strconv.AppendInt(b, manager, 10)
	b = append(b, '\n')
	c.clients = b
	c.rows++

	for _, h := range hs {
		b := c.holdings
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(h.product+1), 10)
		b = append(b, '\t')
		b = dateStr(b, h.opened)
		b = append(b, '\t')
		if h.closed.IsZero() {
			b = append(b, '\\', 'N')
		} else {
			b = dateStr(b, h.closed)
		}
		b = append(b, '\n')
		c.holdings = b
		c.rows++
	}

	// Monthly facts for every month of the window the client was with the bank.
	turnoverLevel := turnoverBase * quality * math.Exp(0.3*r.NormFloat64()) * ccy
	balanceShare := 0.1 + 0.5*r.Float64()
	txLevel := txBase * math.Sqrt(quality) * (0.7 + 0.6*r.Float64())
	for mi, m := range p.months {
		monthEnd := m.AddDate(0, 1, -1)
		if since.After(monthEnd) || (left && leave.Before(m)) {
			continue
		}
		fi, ft, fb, fx := factor(m.AddDate(0, 0, 14))
		pids, amts = pids[:0], amts[:0]
		var income int64
		for _, h := range hs {
			if h.opened.After(monthEnd) || (!h.closed.IsZero() && h.closed.Before(m)) {
				continue
			}
			a := int64(h.level * fi * (0.88 + 0.24*r.Float64()))
			pids = append(pids, h.product+1)
			amts = append(amts, a)
			income += a
		}
		b := c.facts[mi]
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\t')
		b = dateStr(b, m)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(txLevel*fx*(0.85+0.3*r.Float64())+0.5), 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(turnoverLevel*ft*(0.85+0.3*r.Float64())), 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(turnoverLevel*balanceShare*fb*(0.8+0.4*r.Float64())), 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, income, 10)
		b = append(b, '\t', '{')
		for k, pid := range pids {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(pid), 10)
		}
		b = append(b, '}', '\t', '{')
		for k, a := range amts {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, a, 10)
		}
		b = append(b, '}', '\n')
		c.facts[mi] = b
		c.rows++
	}

	// Contacts over the last year: regular while all is well, rarer (and
	// unhappier) once the client declines.
	for mi := len(p.months) - contactMonths; mi < len(p.months); mi++ {
		m := p.months[mi]
		if since.After(m) || (left && leave.Before(m.AddDate(0, 1, 0))) {
			continue
		}
		declining := !leave.IsZero() && monthsBetween(m, leave) < declineMonths
		chance := 0.33
		if declining {
			chance = 0.08
		}
		if r.Float64() >= chance {
			continue
		}
		// a working day's hour, 08:00 to 17:59
		at := m.AddDate(0, 0, r.IntN(27)).Add(time.Duration(8+r.IntN(10))*time.Hour + time.Duration(r.IntN(60))*time.Minute)
		b := c.contacts
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, manager, 10)
		b = append(b, '\t')
		b = append(b, pickWord(r, contactKinds)...)
		b = append(b, '\t')
		b = at.AppendFormat(b, "2006-01-02 15:04:05+00")
		b = append(b, '\t')
		outcome := pickWord(r, contactOutcomes)
		if declining && r.Float64() < 0.3 {
			outcome = "complaint"
		}
		b = append(b, outcome...)
		b = append(b, '\t')
		b = append(b, contactNotes[outcome]...)
		b = append(b, '\t')
		if r.Float64() < 0.85 {
			b = append(b, 't')
		} else {
			b = append(b, 'f')
		}
		b = append(b, '\t')
		if r.Float64() < 0.3 {
			score := 4 + r.IntN(2)
			if declining {
				score = 1 + r.IntN(3)
			}
			b = strconv.AppendInt(b, int64(score), 10)
		} else {
			b = append(b, '\\', 'N')
		}
		b = append(b, '\t', '\\', 'N', '\n')
		c.contacts = b
		c.rows++
	}
	return hs
}

var (
	contactKinds    = []string{"call", "call", "call", "meeting", "email", "email", "visit"}
	contactOutcomes = []string{"reached", "reached", "reached", "no_answer", "interested", "not_interested", "follow_up", "follow_up"}
	contactNotes    = map[string]string{
		"reached":        "Regular check-in; business as usual.",
		"no_answer":      "No answer; will try again.",
		"interested":     "Interested in an offer; sending details.",
		"not_interested": "Not interested at the moment.",
		"follow_up":      "Asked to call back next month.",
		"complaint":      "Unhappy with fees and service times.",
	}
)

func pickWord(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }
