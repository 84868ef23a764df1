package imports

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The readers below check every row of a file and write the good ones, with
// every reference resolved to an id, to the file's staging table. They report
// each problem and carry on, so that one run lists everything wrong.

func (im *importer) bad() bool { return im.errs.total > 0 }

// productRow is a checked row of products.csv.
type productRow struct {
	ref                *productRef
	code, name, family string
	kind               string
	keyProduct, active bool
}

func (im *importer) readProducts(ctx context.Context, r *fileReader) ([]byte, error) {
	var rows []productRow
	for r.next() {
		ok := true
		code, k1 := r.required(r.c.code)
		code = strings.ToUpper(code)
		if k1 && !longCodePattern.MatchString(code) {
			r.fail(r.c.code, code, says("notproductcode"))
			k1 = false
		}
		name, k2 := r.required(r.c.name)
		if k2 {
			if msg := checkText(name, 200); msg.found() {
				r.fail(r.c.name, name, msg)
				k2 = false
			}
		}
		family, k3 := r.required(r.c.family)
		family = strings.ToLower(family)
		if k3 && !validFamily[family] {
			r.fail(r.c.family, family, says("notfamily", "Families", familyList))
			k3 = false
		}
		kind, k4 := r.required(r.c.incomeKind)
		kind = strings.ToLower(kind)
		if k4 && kind != "fee" && kind != "interest" {
			r.fail(r.c.incomeKind, kind, says("notincomekind"))
			k4 = false
		}
		row := productRow{code: code, name: name, family: family, kind: kind, active: true}
		if v := r.get(r.c.keyProduct); v != "" {
			var msg problem
			if row.keyProduct, msg = parseBool(v); msg.found() {
				r.fail(r.c.keyProduct, v, says("notkeyproduct", "Problem", msg))
				ok = false
			}
		}
		if v := r.get(r.c.active); v != "" {
			var msg problem
			if row.active, msg = parseBool(v); msg.found() {
				r.fail(r.c.active, v, msg)
				ok = false
			}
		}
		ok = ok && k1 && k2 && k3 && k4
		if !k1 {
			continue
		}
		p := im.ref.products[code]
		switch {
		case p != nil && p.line > 0:
			r.fail(r.c.code, code, says("producttwice", "Code", code, "Line", p.line))
			continue
		case p == nil:
			p = &productRef{isNew: true, seq: len(im.ref.products)}
			im.ref.products[code] = p
		}
		p.line = r.line
		if !ok {
			continue
		}
		row.ref = p
		rows = append(rows, row)
	}
	if im.bad() {
		return nil, nil
	}
	alloc := &idAllocator{pool: im.pool, table: "product", block: 16}
	var b []byte
	for _, row := range rows {
		if row.ref.isNew {
			id, err := alloc.take(ctx)
			if err != nil {
				return nil, err
			}
			if id > math.MaxInt16 {
				return nil, fmt.Errorf("product ids are exhausted")
			}
			row.ref.id = int16(id)
		}
		out := textRow{b: b}
		out.int(int64(row.ref.id))
		out.bool(row.ref.isNew)
		out.text(row.code)
		out.text(row.name)
		out.text(row.family)
		out.text(row.kind)
		out.bool(row.keyProduct)
		out.bool(row.active)
		b = out.end()
	}
	return b, nil
}

type branchRow struct {
	ref  *branchRef
	name string
}

func (im *importer) readBranches(ctx context.Context, r *fileReader) ([]byte, error) {
	var rows []branchRow
	for r.next() {
		bank, ok := im.bank(r, r.c.bank)
		code, k := r.required(r.c.code)
		code = strings.ToUpper(code)
		if k && !longCodePattern.MatchString(code) {
			r.fail(r.c.code, code, says("notbranchcode"))
			k = false
		}
		name, kn := r.required(r.c.name)
		if kn {
			if msg := checkText(name, 200); msg.found() {
				r.fail(r.c.name, name, msg)
				kn = false
			}
		}
		region, kr := im.code(r, r.c.region, im.ref.regions, "region")
		if !k {
			continue
		}
		b := im.ref.branches[code]
		switch {
		case b != nil && b.line > 0:
			r.fail(r.c.code, code, says("branchtwice", "Code", code, "Line", b.line))
			continue
		case b != nil && b.foreign:
			r.fail(r.c.code, code, says("foreignbranch"))
			b.line, b.bad = r.line, true
			continue
		case b == nil:
			b = &branchRef{code: code, isNew: true}
			im.ref.branches[code] = b
		}
		b.line = r.line
		if ok && !b.isNew && b.bankID != bank.id {
			r.fail(r.c.bank, r.get(r.c.bank), says("branchmoves", "Code", code, "Bank", im.ref.bankCodes[b.bankID]))
			ok = false
		}
		if !(ok && kn && kr) {
			b.bad = true
			continue
		}
		b.bankID, b.regionID = bank.id, region
		rows = append(rows, branchRow{ref: b, name: name})
	}
	if im.bad() {
		return nil, nil
	}
	alloc := &idAllocator{pool: im.pool, table: "branch", block: 16}
	var out []byte
	for _, row := range rows {
		b := row.ref
		if b.isNew {
			id, err := alloc.take(ctx)
			if err != nil {
				return nil, err
			}
			b.id = int32(id)
			im.ref.branchByID[b.id] = b
		}
		r := textRow{b: out}
		r.int(int64(b.id))
		r.bool(b.isNew)
		r.int(int64(b.bankID))
		r.int(int64(b.regionID))
		r.text(b.code)
		r.text(row.name)
		out = r.end()
	}
	return out, nil
}

type managerRow struct {
	ref  *managerRef
	name string
}

func (im *importer) readManagers(ctx context.Context, r *fileReader) ([]byte, error) {
	var rows []managerRow
	for r.next() {
		login, k := r.required(r.c.login)
		login = strings.ToLower(login)
		if k && !loginPattern.MatchString(login) {
			r.fail(r.c.login, login, says("notlogin"))
			k = false
		}
		name, kn := r.required(r.c.name)
		if kn {
			if msg := checkText(name, 200); msg.found() {
				r.fail(r.c.name, name, msg)
				kn = false
			}
		}
		branch, kb := im.branch(r, r.c.branch)
		if !k {
			continue
		}
		m := im.ref.managers[login]
		switch {
		case m != nil && m.line > 0:
			r.fail(r.c.login, login, says("managertwice", "Login", login, "Line", m.line))
			continue
		case m != nil && m.foreign:
			r.fail(r.c.login, login, says("foreignlogin"))
			m.line, m.bad = r.line, true
			continue
		case m != nil && m.role != "manager":
			r.fail(r.c.login, login, notManager(m.role))
			m.line, m.bad = r.line, true
			continue
		case m == nil:
			m = &managerRef{role: "manager", isNew: true}
			im.ref.managers[login] = m
		}
		m.line = r.line
		if !(kn && kb) {
			m.bad = true
			continue
		}
		m.branchID = branch.id
		m.branchMoved = !m.isNew && m.dbBranchID != branch.id
		m.login = login
		rows = append(rows, managerRow{ref: m, name: name})
	}
	if im.bad() {
		return nil, nil
	}
	alloc := &idAllocator{pool: im.pool, table: "app_user", block: 16}
	var out []byte
	for _, row := range rows {
		m := row.ref
		if m.isNew {
			id, err := alloc.take(ctx)
			if err != nil {
				return nil, err
			}
			m.id = int32(id)
			im.ref.managerIDs[m.id] = m
		}
		r := textRow{b: out}
		r.int(int64(m.id))
		r.bool(m.isNew)
		r.text(m.login)
		r.text(row.name)
		r.int(int64(m.branchID))
		out = r.end()
	}
	return out, nil
}

// notManager is the problem of a managers.csv login that is a user of
// another role in Relay.
func notManager(role string) problem {
	switch role {
	case "branch_head", "risk", "admin":
		return says("notmanager-" + role)
	}
	return says("notmanager", "Role", role)
}

// bank reads a bank code column.
func (im *importer) bank(r *fileReader, col column) (bankRef, bool) {
	v, ok := r.required(col)
	if !ok {
		return bankRef{}, false
	}
	if v == im.lastBankCode {
		return im.lastBank, true
	}
	b, found := im.ref.banks[v]
	if !found {
		b, found = im.ref.banks[strings.ToUpper(v)]
	}
	if !found {
		r.fail(col, v, im.notBank())
		return bankRef{}, false
	}
	if b.bad {
		return bankRef{}, false // its row in banks.csv is reported
	}
	im.lastBankCode, im.lastBank = v, b
	return b, true
}

// notBank is the problem of a bank code the group does not have, listing
// those it has.
func (im *importer) notBank() problem {
	codes := make([]string, 0, len(im.ref.banks))
	for c, b := range im.ref.banks {
		if b.bad {
			continue
		}
		codes = append(codes, c)
	}
	if len(codes) == 0 {
		return says("notbank-none")
	}
	slices.Sort(codes)
	return says("notbank", "Banks", strings.Join(codes, ", "))
}

// code reads a required reference-data code (region, industry).
func (im *importer) code(r *fileReader, col column, m map[string]int16, what string) (int16, bool) {
	v, ok := r.required(col)
	if !ok {
		return 0, false
	}
	return im.lookupCode(r, col, v, m, what)
}

func (im *importer) lookupCode(r *fileReader, col column, v string, m map[string]int16, what string) (int16, bool) {
	id, found := m[v]
	if !found {
		id, found = m[strings.ToUpper(v)]
	}
	if !found {
		r.fail(col, v, says("unknown-"+what))
		return 0, false
	}
	if id == badCode {
		return 0, false // its row in the reference file is reported
	}
	return id, true
}

// branch reads a branch code, known to Relay or given in branches.csv.
func (im *importer) branch(r *fileReader, col column) (*branchRef, bool) {
	v, ok := r.required(col)
	if !ok {
		return nil, false
	}
	b := im.ref.branches[strings.ToUpper(v)]
	switch {
	case b == nil || b.foreign:
		r.fail(col, v, says("unknownbranch"))
		return nil, false
	case b.bad:
		return nil, false // its own row is reported
	}
	return b, true
}

// clientAt finds the client a holdings or facts row is about. Files are
// usually sorted (a client's holdings together, each month's facts in the same
// order as the month before), so the client of the previous row, and the one
// that followed it last time, are tried before the map of a million.
func (im *importer) clientAt(r *fileReader) (int32, bankRef, bool) {
	bank, ok := im.bank(r, r.c.bank)
	ref, k := r.required(r.c.client)
	if !ok || !k {
		return 0, bank, false
	}
	list := im.ref.clientList
	i := int32(-1)
	if p := im.prevClient; p >= 0 {
		if c := &list[p]; c.bank == bank.id && c.ref == ref {
			i = p
		} else if n := im.succ[p]; n >= 0 && list[n].bank == bank.id && list[n].ref == ref {
			i = n
		}
	}
	if i < 0 {
		var found bool
		if i, found = im.ref.clients.find(list, bank.id, ref); !found {
			r.fail(r.c.client, ref, says("unknownclient", "Bank", im.ref.bankCodes[bank.id]))
			return 0, bank, false
		}
	}
	if p := im.prevClient; p >= 0 && p != i {
		im.succ[p] = i
	}
	im.prevClient = i
	if list[i].bad {
		return 0, bank, false // its row in clients.csv is reported
	}
	return i, bank, true
}

// startClientLookups readies clientAt for a new file.
func (im *importer) startClientLookups() {
	im.prevClient = -1
	if len(im.succ) != len(im.ref.clientList) {
		im.succ = make([]int32, len(im.ref.clientList))
	}
	for i := range im.succ {
		im.succ[i] = -1
	}
}

// readDate reads a date column that must not lie after today.
func (im *importer) readDate(r *fileReader, col column, required bool) (date, bool) {
	v := r.get(col)
	if v == "" {
		if required {
			r.fail(col, "", says("required", "Column", col.name))
			return 0, false
		}
		return noDate, true
	}
	d, msg := parseDate(v)
	if !msg.found() && d > im.today {
		msg = says("future", "Today", im.today.String())
	}
	if msg.found() {
		r.fail(col, v, msg)
		return 0, false
	}
	return d, true
}

func (im *importer) readClients(ctx context.Context, r *fileReader, cs *copyStream) error {
	alloc := &idAllocator{pool: im.pool, table: "client", block: 1024}
	for r.next() {
		bank, ok := im.bank(r, r.c.bank)
		ref, kref := r.required(r.c.ref)
		if kref && !refPattern.MatchString(ref) {
			r.fail(r.c.ref, ref, says("notref"))
			kref = false
		}
		tax, ktax := r.required(r.c.taxId)
		tax = strings.ToUpper(tax)
		if ktax && !taxPattern.MatchString(tax) {
			r.fail(r.c.taxId, tax, says("nottaxid"))
			ktax = false
		}
		name, kname := r.required(r.c.legalName)
		if kname {
			if msg := checkText(name, 200); msg.found() {
				r.fail(r.c.legalName, name, msg)
				kname = false
			}
		}
		branch, kbranch := im.branch(r, r.c.branch)
		if kbranch && ok && branch.bankID != bank.id {
			r.fail(r.c.branch, r.get(r.c.branch), says("otherbankbranch", "Of", im.ref.bankCodes[branch.bankID], "Not", im.ref.bankCodes[bank.id]))
			kbranch = false
		}
		var region int16
		kregion := true
		if v := r.get(r.c.region); v != "" {
			region, kregion = im.lookupCode(r, r.c.region, v, im.ref.regions, "region")
		} else if kbranch {
			region = branch.regionID
		}
		industry, kind := im.code(r, r.c.industry, im.ref.industries, "industry")
		size, ksize := r.required(r.c.sizeBand)
		size = strings.ToLower(size)
		if ksize && !validSize[size] {
			r.fail(r.c.sizeBand, size, says("notsize"))
			ksize = false
		}
		since, ksince := im.readDate(r, r.c.since, true)
		left, kleft := im.readDate(r, r.c.leftOn, false)
		if ksince && kleft && left != noDate && left < since {
			r.fail(r.c.leftOn, r.get(r.c.leftOn), says("beforearrived", "Date", since.String()))
			kleft = false
		}
		var manager *managerRef
		kmgr := true
		if v := strings.ToLower(r.get(r.c.manager)); v != "" {
			manager = im.ref.managers[v]
			switch {
			case manager == nil || manager.foreign || manager.role != "manager":
				r.fail(r.c.manager, v, says("unknownmanager"))
				kmgr = false
			case manager.bad:
				kmgr = false
			case kbranch && manager.branchID != branch.id:
				r.fail(r.c.manager, v, says("otherbranch", "Branch", im.ref.branchByID[manager.branchID].code, "Client", branch.code))
				kmgr = false
			}
		}
		good := ok && kref && ktax && kname && kbranch && kregion && kind && ksize && ksince && kleft && kmgr
		if !ok || !kref {
			continue
		}
		idx, found := im.ref.clients.find(im.ref.clientList, bank.id, ref)
		if found && im.ref.clientList[idx].line > 0 {
			r.fail(r.c.ref, ref, says("clienttwice", "Ref", ref, "Bank", im.ref.bankCodes[bank.id], "Line", im.ref.clientList[idx].line))
			continue
		}
		if !found {
			// The ref is kept for the rest of the import: a copy of its own,
			// or it would keep the whole row the CSV reader read it from.
			idx = int32(len(im.ref.clientList))
			im.ref.clientList = append(im.ref.clientList, clientRef{isNew: true, bank: bank.id, ref: strings.Clone(ref)})
			im.ref.clients.add(im.ref.clientList, idx)
		}
		c := &im.ref.clientList[idx]
		c.line = int32(r.line)
		// A tax id twice in the file, or of another client in Relay, is
		// found in SQL once the file is staged (checkTaxIDs).
		if !good {
			c.bad = true
			cs.stop()
			continue
		}
		c.since, c.left = since, left
		if c.isNew && c.id == 0 {
			id, err := alloc.take(ctx)
			if err != nil {
				return err
			}
			c.id = id
		}
		if im.bad() {
			cs.stop()
			continue
		}
		row := cs.row()
		row.int8(c.id)
		row.int2(im.ref.groupID)
		row.int2(bank.id)
		row.text(ref)
		row.text(tax)
		row.text(name)
		row.int4(branch.id)
		row.int2(region)
		row.int2(industry)
		row.text(size)
		row.date(since)
		row.date(left)
		if manager != nil {
			row.int4(manager.id)
		} else {
			row.null()
		}
		if !im.bulk["client"] { // staged with is_new and line
			row.bool(c.isNew)
			row.int4(int32(r.line))
		}
		row.end()
	}
	return nil
}

func (im *importer) product(r *fileReader, col column, v string) (*productRef, bool) {
	p := im.ref.products[strings.ToUpper(v)]
	if p == nil {
		r.fail(col, v, says("unknownproduct"))
		return nil, false
	}
	return p, true
}

// readHoldings checks holdings.csv and stages its rows, each with its line:
// a holding twice in the file, or a product left open twice, is found in SQL
// (checkHoldings), so that the import holds no key of millions of holdings.
func (im *importer) readHoldings(ctx context.Context, r *fileReader, cs *copyStream) {
	im.startClientLookups()
	for r.next() {
		ci, _, kc := im.clientAt(r)
		pv, kp := r.required(r.c.product)
		var p *productRef
		if kp {
			p, kp = im.product(r, r.c.product, pv)
		}
		opened, ko := im.readDate(r, r.c.openedOn, true)
		closed, kcl := im.readDate(r, r.c.closedOn, false)
		if ko && kcl && closed != noDate && closed < opened {
			r.fail(r.c.closedOn, r.get(r.c.closedOn), says("beforeopened", "Date", opened.String()))
			kcl = false
		}
		if !kc {
			cs.stop()
			continue
		}
		c := &im.ref.clientList[ci]
		if ko && opened < c.since {
			r.fail(r.c.openedOn, r.get(r.c.openedOn), says("beforearrived", "Date", c.since.String()))
			ko = false
		}
		if !(kp && ko && kcl) || im.bad() {
			cs.stop()
			continue
		}
		row := cs.row()
		row.int8(c.id)
		row.int2(p.id)
		row.date(opened)
		row.date(closed)
		row.int4(int32(r.line))
		row.end()
	}
	im.holdingColumns = [2]int{r.c.openedOn.i + 1, r.c.closedOn.i + 1}
}

// monthSeen remembers, per month, which clients have a row already: a bit per
// client, so that ten million facts need a few megabytes to check.
type monthSeen map[month][]uint64

func (s monthSeen) testAndSet(m month, client int32, n int) bool {
	set := s[m]
	if set == nil {
		set = make([]uint64, (n+63)/64)
		s[m] = set
	}
	w, bit := client/64, uint64(1)<<(uint(client)%64)
	if set[w]&bit != 0 {
		return true
	}
	set[w] |= bit
	return false
}

// readFacts checks monthly_facts.csv and streams it into the staging table
// for facts, creating a partition of it for each month that monthly_fact has
// no partition for yet (newMonth does that, between two COPYs).
func (im *importer) readFacts(ctx context.Context, r *fileReader, cs *copyStream, newMonth func(month) error) error {
	seen := monthSeen{}
	thisMonth := im.today.month()
	n := len(im.ref.clientList)
	var ids []int16
	var amounts []int64
	staged := map[month]bool{}
	im.startClientLookups()
	for r.next() {
		ci, bank, kc := im.clientAt(r)
		mv, km := r.required(r.c.month)
		var m month
		if km {
			var msg problem
			if m, msg = parseMonth(mv); !msg.found() && m > thisMonth {
				msg = says("futuremonth", "Month", thisMonth.String())
			}
			if msg.found() {
				r.fail(r.c.month, mv, msg)
				km = false
			}
		}
		digits := bank.digits
		txv, kt := r.required(r.c.txCount)
		var tx int32
		if kt {
			var msg problem
			if tx, msg = parseCount(txv); msg.found() {
				r.fail(r.c.txCount, txv, msg)
				kt = false
			}
		}
		if kt && im.ref.bounds.txCount > 0 && int64(tx) > im.ref.bounds.txCount {
			r.fail(r.c.txCount, txv, says("toomanytx", "Max", im.ref.bounds.txCount))
			kt = false
		}
		turnover, ktu := im.money(r, r.c.turnover, digits, kc)
		if ktu && turnover < 0 {
			r.fail(r.c.turnover, r.get(r.c.turnover), says("negturnover"))
			ktu = false
		}
		ktu = ktu && im.bounded(r, r.c.turnover, r.get(r.c.turnover), turnover, im.ref.bounds.turnover, digits, "turnover", "import.max_turnover")
		balance, kb := im.money(r, r.c.avgBalance, digits, kc)
		kb = kb && im.bounded(r, r.c.avgBalance, r.get(r.c.avgBalance), balance, im.ref.bounds.balance, digits, "balance", "import.max_balance")
		var income int64
		ki := true
		ids, amounts = ids[:0], amounts[:0]
		if kc {
			ids, amounts, income, ki = im.readIncome(r, digits, ids, amounts)
		}
		if !kc {
			cs.stop()
			continue
		}
		c := &im.ref.clientList[ci]
		if km {
			switch {
			case m < c.since.month():
				r.fail(r.c.month, mv, says("beforearrivedmonth", "Date", c.since.String()))
				km = false
			case c.left != noDate && m > c.left.month():
				r.fail(r.c.month, mv, says("afterleft", "Date", c.left.String()))
				km = false
			case seen.testAndSet(m, ci, n):
				r.fail(r.c.month, mv, says("monthtwice", "Client", r.get(r.c.client), "Month", m.String()))
				km = false
			}
		}
		if !(km && kt && ktu && kb && ki) || im.bad() {
			cs.stop()
			continue
		}
		if !im.ref.factMonths[m] && !staged[m] {
			if err := newMonth(m); err != nil {
				return err
			}
			staged[m] = true
		}
		row := cs.row()
		row.int8(c.id)
		row.date(m.first())
		row.int4(tx)
		row.int8(turnover)
		row.int8(balance)
		row.int8(income)
		row.int2s(ids)
		row.int8s(amounts)
		row.end()
	}
	return nil
}

// money reads a required amount; its bank must be known (bankOK) to know
// the minor digits, or the amount is not checked further.
func (im *importer) money(r *fileReader, col column, digits int, bankOK bool) (int64, bool) {
	v, ok := r.required(col)
	if !ok || !bankOK {
		return 0, ok
	}
	n, msg := parseMoney(v, digits, r.decimal)
	if msg.found() {
		r.fail(col, v, msg)
		return 0, false
	}
	return n, true
}

// readIncome reads the income column: PRODUCT=amount pairs separated by
// semicolons, e.g. CA-MAIN=41.20;EBANK=12.00. It returns the product ids and
// amounts in the order given, and their total.
func (im *importer) readIncome(r *fileReader, digits int, ids []int16, amounts []int64) ([]int16, []int64, int64, bool) {
	v := r.get(r.c.income)
	if v == "" {
		return ids, amounts, 0, true
	}
	var total int64
	ok := true
	rest := v
	var seenProducts []*productRef
	item := 0
	for rest != "" {
		part := rest
		if i := strings.IndexByte(rest, ';'); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		item++
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		eq := strings.IndexByte(part, '=')
		if eq < 0 {
			r.fail(r.c.income, v, says("notitem", "Item", item, "Part", quoted(part)))
			ok = false
			continue
		}
		code, amount := strings.TrimSpace(part[:eq]), strings.TrimSpace(part[eq+1:])
		p := im.ref.products[strings.ToUpper(code)]
		if p == nil {
			r.fail(r.c.income, v, says("itemproduct", "Item", item, "Code", quoted(code)))
			ok = false
			continue
		}
		a, msg := parseMoney(amount, digits, r.decimal)
		if msg.found() {
			r.fail(r.c.income, v, says("itemamount", "Item", item, "Code", code, "Amount", quoted(amount), "Problem", msg))
			ok = false
			continue
		}
		if slices.Contains(seenProducts, p) {
			r.fail(r.c.income, v, says("itemtwice", "Item", item, "Code", strings.ToUpper(code)))
			ok = false
			continue
		}
		if b := inMinor(im.ref.bounds.income, digits); b > 0 && (a > b || a < -b) {
			r.fail(r.c.income, v, says("itembeyond", "Item", item, "Code", strings.ToUpper(code), "Amount", quoted(amount), "Bound", im.ref.bounds.income))
			ok = false
			continue
		}
		if (a > 0 && total > math.MaxInt64-a) || (a < 0 && total < math.MinInt64-a) {
			r.fail(r.c.income, v, says("sumtoolarge"))
			ok = false
			continue
		}
		total += a
		seenProducts = append(seenProducts, p)
		ids = append(ids, p.id)
		amounts = append(amounts, a)
	}
	if b := inMinor(im.ref.bounds.income, digits); ok && b > 0 && (total > b || total < -b) {
		r.fail(r.c.income, v, says("sumbeyond", "Bound", im.ref.bounds.income))
		ok = false
	}
	return ids, amounts, total, ok
}

// bounded reports an amount beyond plus or minus bound (major units; zero:
// no bound) as implausible, naming the setting that bounds it.
func (im *importer) bounded(r *fileReader, col column, raw string, v, bound int64, digits int, what, setting string) bool {
	b := inMinor(bound, digits)
	if b == 0 || (v <= b && v >= -b) {
		return true
	}
	r.fail(col, raw, says("beyond-"+what, "Bound", bound, "Setting", setting))
	return false
}
