package imports

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/relaycrm/relay/internal/reference"
)

// The reference files set up a banking group on its first day: the group
// itself, its banks (with their currencies), its regions and its industries.
// They are checked like every other file and applied first, so that the rest
// of the same feed may refer to what they add.

// groupRow is the one row of group.csv.
type groupRow struct {
	code, name string
}

// readGroup reads group.csv, which names the banking group the feed belongs
// to: one row, its code and its name.
func (im *importer) readGroup(f File, fr *FileResult) *groupRow {
	r := im.newReader(f.Name, Group, f.Body)
	defer func() { fr.Rows = r.rows }()
	var g *groupRow
	for r.next() {
		if g != nil {
			r.fileError(r.line, says("secondgroup"))
			continue
		}
		code, k1 := r.required(r.c.code)
		code = strings.ToUpper(code)
		if k1 && !codePattern.MatchString(code) {
			r.fail(r.c.code, code, says("notgroupcode"))
			k1 = false
		}
		name, k2 := r.required(r.c.name)
		if k2 {
			if msg := checkText(name, 200); msg.found() {
				r.fail(r.c.name, name, msg)
				k2 = false
			}
		}
		if k1 && k2 {
			g = &groupRow{code: code, name: name}
		} else {
			g = &groupRow{} // reported; a second row is still a second group
		}
	}
	if r.ok && r.rows == 0 {
		r.fileError(2, says("nogroup"))
	}
	if g == nil || g.code == "" {
		return nil
	}
	return g
}

type bankRow struct {
	code, name string
}

func (im *importer) readBanks(ctx context.Context, r *fileReader) ([]byte, error) {
	var rows []bankRow
	for r.next() {
		code, k := r.required(r.c.code)
		code = strings.ToUpper(code)
		if k && !codePattern.MatchString(code) {
			r.fail(r.c.code, code, says("notbankcode"))
			k = false
		}
		name, kn := r.required(r.c.name)
		if kn {
			if msg := checkText(name, 200); msg.found() {
				r.fail(r.c.name, name, msg)
				kn = false
			}
		}
		currency, kc := r.required(r.c.currency)
		currency = strings.ToUpper(currency)
		if kc && !reference.CurrencyPattern.MatchString(currency) {
			r.fail(r.c.currency, currency, says("notcurrency"))
			kc = false
		}
		dv, kd := r.required(r.c.minorDigits)
		digits, ok := digitsOf(dv)
		if kd && (!ok || digits > 4) {
			r.fail(r.c.minorDigits, dv, says("notminor"))
			kd = false
		}
		if !k {
			continue
		}
		b, found := im.ref.banks[code]
		switch {
		case found && b.line > 0:
			r.fail(r.c.code, code, says("banktwice", "Code", code, "Line", b.line))
			continue
		case im.ref.foreignBanks[code]:
			r.fail(r.c.code, code, says("foreignbank"))
			continue
		case !found:
			b = bankRef{isNew: true}
		}
		b.line = r.line
		if kc && kd && b.hasClients && (b.currency != currency || b.digits != digits) {
			r.fail(r.c.currency, currency, says("currencychange", "Code", code, "Currency", b.currency, "Digits", b.digits))
			kc = false
		}
		if !(kn && kc && kd) {
			b.bad = true
			im.ref.banks[code] = b
			continue
		}
		b.currency, b.digits = currency, digits
		im.ref.banks[code] = b
		rows = append(rows, bankRow{code: code, name: name})
	}
	if im.bad() {
		return nil, nil
	}
	alloc := &idAllocator{pool: im.pool, table: "bank", block: 1}
	var out []byte
	for _, row := range rows {
		b := im.ref.banks[row.code]
		if b.isNew {
			id, err := alloc.take(ctx)
			if err != nil {
				return nil, err
			}
			if id > math.MaxInt16 {
				return nil, fmt.Errorf("bank ids are exhausted")
			}
			b.id = int16(id)
			im.ref.banks[row.code] = b
			im.ref.bankCodes[b.id] = row.code
		}
		r := textRow{b: out}
		r.int(int64(b.id))
		r.bool(b.isNew)
		r.text(row.code)
		r.text(row.name)
		r.text(b.currency)
		r.int(int64(b.digits))
		out = r.end()
	}
	return out, nil
}

// digitsOf reads a small whole number.
func digitsOf(s string) (int, bool) {
	if len(s) > 3 {
		return 0, false
	}
	return digits(s)
}

// codeRow is a row of regions.csv or industries.csv.
type codeRow struct {
	code, name, nace string
	isNew            bool
}

// readCodes reads regions.csv or industries.csv: codes of the group, each
// with a name (and for industries, the NACE section it belongs to).
func (im *importer) readCodes(ctx context.Context, r *fileReader, m map[string]int16, what, table string, pattern *regexp.Regexp) ([]byte, error) {
	var rows []codeRow
	lines := map[string]int{}
	for r.next() {
		code, k := r.required(r.c.code)
		code = strings.ToUpper(code)
		if k && !pattern.MatchString(code) {
			r.fail(r.c.code, code, says("notcode-"+what))
			k = false
		}
		name, kn := r.required(r.c.name)
		if kn {
			if msg := checkText(name, 200); msg.found() {
				r.fail(r.c.name, name, msg)
				kn = false
			}
		}
		nace := strings.ToUpper(r.get(r.c.naceSection))
		kx := true
		if nace != "" && (len(nace) != 1 || nace[0] < 'A' || nace[0] > 'U') {
			r.fail(r.c.naceSection, nace, says("notnace"))
			kx = false
		}
		if !k {
			continue
		}
		if first, dup := lines[code]; dup {
			r.fail(r.c.code, code, says("codetwice-"+what, "Code", code, "Line", first))
			continue
		}
		lines[code] = r.line
		_, found := m[code]
		if !(kn && kx) {
			m[code] = badCode
			continue
		}
		if !found {
			m[code] = 0 // its id is taken below
		}
		rows = append(rows, codeRow{code: code, name: name, nace: nace, isNew: !found})
	}
	if im.bad() {
		return nil, nil
	}
	alloc := &idAllocator{pool: im.pool, table: table, block: 1}
	var out []byte
	for _, row := range rows {
		if row.isNew {
			id, err := alloc.take(ctx)
			if err != nil {
				return nil, err
			}
			if id > math.MaxInt16 {
				return nil, fmt.Errorf("%s ids are exhausted", what)
			}
			m[row.code] = int16(id)
		}
		r := textRow{b: out}
		r.int(int64(m[row.code]))
		r.bool(row.isNew)
		r.text(row.code)
		r.text(row.name)
		if table == "industry" {
			r.textOrNull(row.nace)
		}
		out = r.end()
	}
	return out, nil
}
