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
	arrivalMonths     = 96 // clients arrived over the last eight years, recent ones more often
	contactMonths     = 12 // contact history kept for the last year
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

// sizeBand is what a size band earns and does at plateau, before the client's
// own quality: how likely it is to hold products, the scale of its product
// income, its monthly turnover (EUR cents) and transactions.
type sizeBand struct {
	name                        string
	adopt, income, turnover, tx float64
}

var sizeBands = [3]sizeBand{
	{"micro", 0.75, 0.6, 1.5e6, 40},
	{"small", 1.1, 1.0, 12e6, 180},
	{"medium", 1.45, 1.7, 70e6, 700},
}

// demoClient is one client as the generator draws it: who it is, how it
// behaves (Behaviour) and what it holds. Its random stream goes on into the
// rows written from it.
type demoClient struct {
	r                      *rand.Rand
	branch                 branchPlan
	region                 RegionSpec
	regionID, indIdx       int
	sizeIdx                int
	quality                float64
	since, leave           time.Time // leave is zero for a client that stays
	left                   bool      // left before the demo's today
	kind                   Behaviour
	lowActivity, grievance bool
	rampTau                float64
	// A leaver's decline: its length in months and the level it ends at (a
	// quiet leaver's: its last year, and the level of its active months).
	declineMonths, floor float64
	// A dip or step down: when it starts, its months going down, at the
	// bottom and coming back (a step never comes back), and the bottom level.
	change                    time.Time
	down, bottom, back, depth float64
	// A seasonal industry's swing and the month (1-12) of its peak.
	seasonAmp, seasonPeak float64
	quietMonth            int     // a stayer's one inactive month (index of plan.months), -1 for none
	bankRate              float64 // chance of a contact started by the manager in a month
	hs                    []holdingPlan
}

// declineShape is how steeply each kind of leaver's income, turnover, balance
// and transactions follow its decline (an exponent of the level; 0: holds),
// by kind (the kinds that stay have none).
var declineShape = [Quiet + 1][4]float64{
	Fading:      {1, 1.5, 2, 1.7},
	Abrupt:      {1, 1, 1.3, 1},
	Complaining: {0.7, 1, 1.3, 1},
	Quiet:       {0, 1, 0.5, 1},
}

func monthsBetween(a, b time.Time) float64 {
	return b.Sub(a).Hours() / 24 / 30.44
}

func dateStr(b []byte, t time.Time) []byte { return t.AppendFormat(b, "2006-01-02") }

// generate writes clients [from, to) into a chunk.
func (p *plan) generate(from, to int) *chunk {
	c := &chunk{facts: make([][]byte, len(p.months))}
	d := demoClient{hs: make([]holdingPlan, 0, len(Products))}
	pids := make([]int, 0, len(Products))
	amts := make([]int64, 0, len(Products))
	for i := from; i < to; i++ {
		p.client(i, c, &d, pids, amts)
	}
	return c
}

// draw makes client i: who it is, whether and how it leaves or stays, and
// its products. The order of the draws from its stream is part of the demo:
// change it only knowing that every seed's bank changes with it.
func (p *plan) draw(i int, d *demoClient) {
	r := p.clientRand(i)
	*d = demoClient{r: r, hs: d.hs[:0], quietMonth: -1}
	d.branch = p.branches[p.branchOf(r)]
	bank := Banks[d.branch.bankIdx]
	d.region = bank.Regions[d.branch.regionIdx]
	d.regionID = d.branch.regionID
	if r.Float64() < 0.08 { // registered in another region of the bank's country
		other := r.IntN(len(bank.Regions))
		d.regionID += other - d.branch.regionIdx
		d.region = bank.Regions[other]
	}
	d.indIdx = pick(p.indCum, r.Float64())
	ind := Industries[d.indIdx]
	switch u := r.Float64(); {
	case u > 0.9:
		d.sizeIdx = 2
	case u > 0.6:
		d.sizeIdx = 1
	}
	size := sizeBands[d.sizeIdx]
	d.quality = math.Exp(0.5 * r.NormFloat64())

	// Lifecycle: arrival; a leaver's lifetime, mostly 24-30 months.
	monthsAgo := float64(arrivalMonths) * math.Pow(r.Float64(), 1.35)
	d.since = p.today.AddDate(0, 0, -int(monthsAgo*30.44)-1)
	leaveDraw := r.Float64()
	life := 24 + 6*r.Float64()
	if r.Float64() < 0.25 {
		life = 6 + 50*r.Float64()
	}
	d.rampTau = 1.2 + 3*r.Float64()
	d.lowActivity = r.Float64() < lowActivityShare
	d.grievance = r.Float64() < grievanceShare
	if s, ok := seasons[ind.Code]; ok {
		d.seasonAmp, d.seasonPeak = s.lo+(s.hi-s.lo)*r.Float64(), s.peak
		if ind.Code == "I" && d.region.Trait == "coast" {
			d.seasonAmp = math.Min(0.6, 1.4*d.seasonAmp)
		}
	}
	d.bankRate = bankContactRate
	if r.Float64() < rareContactShare {
		d.bankRate = rareContactRate
	}

	// Products: better and bigger clients hold more, industries and regions
	// prefer different ones.
	held := 0
	for pi, ps := range Products {
		prob := ps.Adoption * size.adopt * math.Pow(d.quality, 1.1)
		if m, ok := industryAffinity[ind.Code][ps.Code]; ok {
			prob *= m
		}
		if m, ok := regionAffinity[d.region.Trait][ps.Code]; ok {
			prob *= m
		}
		mainAccount := ps.Code == "CA-MAIN" // every client opens one on its first day
		if r.Float64() >= math.Min(prob, 0.96) && !mainAccount {
			continue
		}
		held++
		opened := d.since
		if !mainAccount {
			opened = d.since.AddDate(0, 0, int(r.ExpFloat64()*5*30.44))
		}
		level := (float64(ps.MinMonthly) + float64(ps.MaxMonthly-ps.MinMonthly)*
			math.Min(1, 0.1+0.3*d.quality*size.income+0.2*r.Float64())) * bank.CurrencyPerEUR
		if opened.Before(p.today) {
			d.hs = append(d.hs, holdingPlan{product: pi, opened: opened, level: level})
		}
	}

	// Who leaves: fewer products, little activity and a grievance make a
	// client likelier to go.
	z := leaveLogit + productLogit*float64(held-5)
	if d.lowActivity {
		z += lowActivityLogit
	}
	if d.grievance {
		z += grievanceLogit
	}
	if leaveDraw < 1/(1+math.Exp(-z)) {
		d.leave = d.since.AddDate(0, 0, int(life*30.44))
		d.left = d.leave.Before(p.today)
		d.leaves(ind.Code, p.today)
	} else {
		d.stays(p)
	}
}

// leaves picks how a leaver leaves, draws its decline and closes its
// products.
func (d *demoClient) leaves(industry string, today time.Time) {
	r := d.r
	w := leaverShares[d.sizeIdx]
	if l, ok := industryLeaning[industry]; ok {
		for k := range w {
			w[k] *= l[k]
		}
	}
	if d.grievance {
		w[Complaining-Fading] *= grievanceComplains
	}
	if d.lowActivity {
		w[Quiet-Fading] *= lowActivityQuiet
	}
	u := r.Float64() * (w[0] + w[1] + w[2] + w[3])
	d.kind = Quiet
	for k, x := range w {
		if u < x {
			d.kind = Fading + Behaviour(k)
			break
		}
		u -= x
	}
	switch d.kind {
	case Fading:
		d.declineMonths, d.floor = 3+9*r.Float64(), 0.1+0.45*r.Float64()
	case Abrupt:
		d.declineMonths, d.floor = 0.3+0.7*r.Float64(), 0.7+0.25*r.Float64()
	case Complaining:
		d.declineMonths, d.floor = 3+5*r.Float64(), 0.6+0.25*r.Float64()
	case Quiet:
		d.declineMonths, d.floor = 12, 0.8+0.2*r.Float64()
	}

	// Products close on the day it leaves, or earlier: a fading leaver often
	// drops payroll and acquiring one to four months before it goes and other
	// products through its decline; a complaining one sometimes; a quiet one
	// lets go of minor products through its last year; an abrupt one closes
	// everything on the day.
	kept := d.hs[:0]
	for _, h := range d.hs {
		if !h.opened.Before(d.leave) {
			continue
		}
		ps := Products[h.product]
		back := 0.0
		if ps.Code != "CA-MAIN" {
			switch d.kind {
			case Fading:
				if ps.Key {
					if r.Float64() < 0.55 {
						back = 1 + 3*r.Float64()
					}
				} else if r.Float64() < 0.7 {
					back = d.declineMonths * r.Float64()
				}
			case Complaining:
				early := 0.4
				if ps.Key {
					early = 0.2
				}
				if r.Float64() < early {
					back = d.declineMonths * r.Float64()
				}
			case Quiet:
				if !ps.Key && r.Float64() < 0.3 {
					back = 12 * r.Float64()
				}
			}
		}
		closeAt := d.leave.AddDate(0, 0, -int(back*30.44))
		if closeAt.Before(h.opened) {
			closeAt = h.opened
		}
		if closeAt.Before(today) {
			h.closed = closeAt
		}
		kept = append(kept, h)
	}
	d.hs = kept
}

// stays picks how a stayer stays: steady, or through a dip or a step down
// somewhere in the months of facts; it sometimes drops a product and carries
// on, and now and then has a month without transactions.
func (d *demoClient) stays(p *plan) {
	r := d.r
	for k := range d.hs {
		h := &d.hs[k]
		if Products[h.product].Code != "CA-MAIN" && r.Float64() < 0.06 {
			closeAt := h.opened.AddDate(0, 0, int((3+r.ExpFloat64()*12)*30.44))
			if closeAt.Before(p.today) {
				h.closed = closeAt
			}
		}
	}
	if r.Float64() < quietMonthShare {
		d.quietMonth = r.IntN(len(p.months))
	}
	sh := stayerShares[d.sizeIdx]
	switch u := r.Float64(); {
	case u < sh[0]:
		d.kind = Dip
		d.down, d.bottom, d.back, d.depth = 1+r.Float64(), 1+3*r.Float64(), 2+3*r.Float64(), 0.35+0.35*r.Float64()
	case u < sh[0]+sh[1]:
		d.kind = StepDown
		d.down, d.depth = 1+2*r.Float64(), 0.5+0.3*r.Float64()
	default:
		return
	}
	// The change falls within the months of facts, once the client has
	// settled; a client too new for one stays steady.
	from := d.since.AddDate(0, 4, 0)
	if from.Before(p.months[0]) {
		from = p.months[0]
	}
	to := p.today.AddDate(0, -1, 0)
	at := r.Float64()
	if !from.Before(to) {
		d.kind = Steady
		return
	}
	d.change = from.Add(time.Duration(at * float64(to.Sub(from))))
	// Sometimes with a product closed as it begins.
	if r.Float64() >= 0.35 {
		return
	}
	n := 0
	for _, h := range d.hs {
		if closable(h, d.change) {
			n++
		}
	}
	if n == 0 {
		return
	}
	k := r.IntN(n)
	var h *holdingPlan
	for j := range d.hs {
		if closable(d.hs[j], d.change) {
			if k == 0 {
				h = &d.hs[j]
				break
			}
			k--
		}
	}
	if closeAt := d.change.AddDate(0, 0, int(2*r.Float64()*30.44)); closeAt.Before(p.today) {
		h.closed = closeAt
	}
}

// closable says whether h is a product other than the current account, held
// at t and not closed.
func closable(h holdingPlan, t time.Time) bool {
	return Products[h.product].Code != "CA-MAIN" && h.closed.IsZero() && h.opened.Before(t)
}

// level is the client's income, turnover, balance and transactions at t as
// shares of its plateau: ramp-up, season, and its decline, dip or step.
func (d *demoClient) level(t time.Time) (income, turnover, balance, tx float64) {
	ramp := 1 - math.Exp(-(math.Max(monthsBetween(d.since, t), 0)+0.5)/d.rampTau)
	income, turnover, balance, tx = ramp, ramp, ramp, ramp
	if d.seasonAmp > 0 {
		s := d.seasonAmp * math.Cos(2*math.Pi*(float64(t.Month())+float64(t.Day()-1)/30-d.seasonPeak)/12)
		income *= 1 + 0.4*s
		turnover *= 1 + s
		balance *= 1 + 0.5*s
		tx *= 1 + 0.8*s
	}
	switch d.kind {
	case Fading, Abrupt, Complaining, Quiet:
		toGo := monthsBetween(t, d.leave)
		if toGo >= d.declineMonths {
			break
		}
		x := d.floor + (1-d.floor)*math.Max(toGo, 0)/d.declineMonths
		e := declineShape[d.kind]
		income *= math.Pow(x, e[0])
		turnover *= math.Pow(x, e[1])
		balance *= math.Pow(x, e[2])
		tx *= math.Pow(x, e[3])
	case Dip, StepDown:
		x := d.changeLevel(t)
		income *= 1 - 0.4*(1-x)
		turnover *= x
		balance *= math.Pow(x, 1.3)
		tx *= x
	}
	return income, turnover, balance, tx
}

// changeLevel is a dip's or a step's level at t: down, at the bottom, and (a
// dip) back up.
func (d *demoClient) changeLevel(t time.Time) float64 {
	x := monthsBetween(d.change, t)
	switch {
	case x <= 0:
		return 1
	case x < d.down:
		return 1 - (1-d.depth)*x/d.down
	case d.kind == StepDown || x < d.down+d.bottom:
		return d.depth
	case x < d.down+d.bottom+d.back:
		return d.depth + (1-d.depth)*(x-d.down-d.bottom)/d.back
	}
	return 1
}

// inactive says whether month mi is one without transactions: a quiet
// leaver's share of them grows through its last year; a stayer may have one.
func (d *demoClient) inactive(p *plan, mi int) bool {
	if d.kind == Quiet {
		toGo := monthsBetween(p.months[mi].AddDate(0, 0, 14), d.leave)
		return toGo < 12 && d.r.Float64() < 0.12+0.3*(1-math.Max(toGo, 0)/12)
	}
	return mi == d.quietMonth
}

func (p *plan) client(i int, c *chunk, d *demoClient, pids []int, amts []int64) {
	p.draw(i, d)
	r := d.r
	bank := Banks[d.branch.bankIdx]
	ind := Industries[d.indIdx]
	size := sizeBands[d.sizeIdx]
	managers := p.managers[d.branch.id-1]
	manager := managers[r.IntN(len(managers))]
	id := int64(i + 1)

	// client row
	b := c.clients
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '\t', '1', '\t')
	b = strconv.AppendInt(b, int64(d.branch.bankIdx+1), 10)
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
	b = strconv.AppendInt(b, int64(d.branch.id), 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(d.regionID), 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(d.indIdx+1), 10)
	b = append(b, '\t')
	b = append(b, size.name...)
	b = append(b, '\t')
	b = dateStr(b, d.since)
	b = append(b, '\t')
	if d.left {
		b = dateStr(b, d.leave)
	} else {
		b = append(b, '\\', 'N')
	}
	b = append(b, '\t')
	b = strconv.AppendInt(b, manager, 10)
	b = append(b, '\n')
	c.clients = b
	c.rows++

	for _, h := range d.hs {
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
	turnoverLevel := size.turnover * d.quality * math.Exp(0.3*r.NormFloat64()) * bank.CurrencyPerEUR
	balanceShare := 0.1 + 0.5*r.Float64()
	txLevel := size.tx * math.Sqrt(d.quality) * (0.7 + 0.6*r.Float64())
	if d.lowActivity {
		txLevel *= lowActivityLevel
		turnoverLevel *= 2 * lowActivityLevel
	}
	for mi, m := range p.months {
		monthEnd := m.AddDate(0, 1, -1)
		if d.since.After(monthEnd) || (d.left && d.leave.Before(m)) {
			continue
		}
		fi, ft, fb, fx := d.level(m.AddDate(0, 0, 14))
		inactive := d.inactive(p, mi)
		pids, amts = pids[:0], amts[:0]
		var income int64
		for _, h := range d.hs {
			if h.opened.After(monthEnd) || (!h.closed.IsZero() && h.closed.Before(m)) {
				continue
			}
			a := int64(h.level * fi * (0.88 + 0.24*r.Float64()))
			pids = append(pids, h.product+1)
			amts = append(amts, a)
			income += a
		}
		tx := int64(txLevel*fx*(0.85+0.3*r.Float64()) + 0.5)
		turnover := int64(turnoverLevel * ft * (0.85 + 0.3*r.Float64()))
		balance := int64(turnoverLevel * balanceShare * fb * (0.8 + 0.4*r.Float64()))
		if inactive { // no or almost no transactions; fixed fees and the balance stay
			tx = int64(r.IntN(3))
			turnover = int64(float64(turnover) * 0.03 * r.Float64())
		}
		b := c.facts[mi]
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\t')
		b = dateStr(b, m)
		b = append(b, '\t')
		b = strconv.AppendInt(b, tx, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, turnover, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, balance, 10)
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

	// Contacts over the last year: the manager's, regular while all is well
	// (a few clients are hardly ever called) and rarer once a fading client
	// declines; and the client's own, more of them, and complaints, from a
	// client with a grievance and from a complaining leaver before it goes.
	for mi := len(p.months) - contactMonths; mi < len(p.months); mi++ {
		m := p.months[mi]
		if d.since.After(m) || (d.left && d.leave.Before(m.AddDate(0, 1, 0))) {
			continue
		}
		toGo := math.Inf(1)
		if d.kind.Leaves() {
			toGo = monthsBetween(m.AddDate(0, 0, 14), d.leave)
		}
		bankRate, clientRate, complaints, bankComplaints := d.bankRate, clientContactRate, clientComplaintShare, 0.0
		mood := contentClient
		if d.grievance {
			clientRate, complaints, mood = grievanceContactRate, grievanceComplaintRate, aggrievedClient
		}
		switch {
		case d.kind == Fading && toGo < d.declineMonths:
			bankRate, clientRate, complaints, bankComplaints, mood = 0.08, 0.08, 0.3, 0.25, leavingClient
		case d.kind == Complaining && toGo < 6:
			clientRate, complaints, mood = 0.45, 0.65, leavingClient
		case d.kind == Quiet && toGo < 12:
			clientRate = 0.02
		}
		if r.Float64() < bankRate {
			c.contacts = appendContact(c.contacts, r, id, manager, m, true, bankComplaints, mood)
			c.rows++
		}
		if r.Float64() < clientRate {
			c.contacts = appendContact(c.contacts, r, id, manager, m, false, complaints, mood)
			c.rows++
		}
	}
}

// mood sets the satisfaction a client gives at a contact.
type mood uint8

const (
	contentClient   mood = iota // 4-5
	aggrievedClient             // 2-4
	leavingClient               // 1-3
)

// appendContact writes one contact in month m: started by the manager
// (proactive) or by the client, a complaint with the given chance.
func appendContact(b []byte, r *rand.Rand, id, manager int64, m time.Time, proactive bool, complaints float64, md mood) []byte {
	kinds, outcomes, notes := contactKinds, contactOutcomes, contactNotes
	if !proactive {
		kinds, outcomes, notes = clientContactKinds, clientContactOutcomes, clientContactNotes
	}
	// a working day's hour, 08:00 to 17:59
	at := m.AddDate(0, 0, r.IntN(27)).Add(time.Duration(8+r.IntN(10))*time.Hour + time.Duration(r.IntN(60))*time.Minute)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, manager, 10)
	b = append(b, '\t')
	b = append(b, pickWord(r, kinds)...)
	b = append(b, '\t')
	b = at.AppendFormat(b, "2006-01-02 15:04:05+00")
	b = append(b, '\t')
	outcome := pickWord(r, outcomes)
	note := notes[outcome]
	if r.Float64() < complaints {
		outcome, note = "complaint", pickWord(r, complaintNotes)
	}
	b = append(b, outcome...)
	b = append(b, '\t')
	b = append(b, note...)
	b = append(b, '\t')
	if proactive {
		b = append(b, 't')
	} else {
		b = append(b, 'f')
	}
	b = append(b, '\t')
	if r.Float64() < 0.3 {
		var score int
		switch {
		case outcome == "complaint":
			score = 1 + r.IntN(2)
		case md == leavingClient:
			score = 1 + r.IntN(3)
		case md == aggrievedClient:
			score = 2 + r.IntN(3)
		default:
			score = 4 + r.IntN(2)
		}
		b = strconv.AppendInt(b, int64(score), 10)
	} else {
		b = append(b, '\\', 'N')
	}
	return append(b, '\t', '\\', 'N', '\n')
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
	}
	// Contacts the client started: calls and emails to the manager or the
	// contact centre, now and then a visit to the branch.
	clientContactKinds    = []string{"call", "call", "call", "email", "email", "meeting"}
	clientContactOutcomes = []string{"reached", "reached", "interested", "follow_up"}
	clientContactNotes    = map[string]string{
		"reached":    "Client called with a question about a payment; answered.",
		"interested": "Client asked about a product; sending details.",
		"follow_up":  "Client asked for a call back.",
	}
	complaintNotes = []string{
		"Unhappy with fees and service times.",
		"Complained about a delayed payment.",
		"Complained about card and account fees.",
		"Unhappy with the wait at the branch.",
		"Complained that a competitor offers better terms.",
	}
)

func pickWord(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }
