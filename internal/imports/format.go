package imports

import (
	"sort"
	"strings"
)

// Kind is one kind of feed file. A feed holds at most one file of each kind;
// files are read, and applied, in the order of Kinds.
type Kind string

// The kinds of feed file, in the order they are applied: a later kind may
// refer to rows of an earlier one in the same feed. The first four are the
// reference data a bank sets up on its first day.
const (
	Group      Kind = "group"
	Banks      Kind = "banks"
	Regions    Kind = "regions"
	Industries Kind = "industries"
	Products   Kind = "products"
	Branches   Kind = "branches"
	Managers   Kind = "managers"
	Clients    Kind = "clients"
	Holdings   Kind = "holdings"
	Facts      Kind = "monthly_facts"
	Contacts   Kind = "contacts"
)

// Kinds lists every kind in the order a feed is read and applied.
var Kinds = []Kind{Group, Banks, Regions, Industries, Products, Branches, Managers, Clients, Holdings, Facts, Contacts}

// Purpose says in a sentence what a file of kind k brings, for the imports
// page.
func (k Kind) Purpose() string {
	return purposes[k]
}

var purposes = map[Kind]string{
	Group:      "The banking group, one row; its code names the group the feed belongs to.",
	Banks:      "The group's banks by code, each with its currency and the currency's minor digits (2 for cents); a bank with clients keeps its currency.",
	Regions:    "The regions clients and branches are in, by code.",
	Industries: "The industries by code: NACE Rev.2 sections A-U, or the bank's own codes under a NACE section.",
	Products:   "The product catalogue by code: family, fee or interest income, whether closing it is a strong churn sign.",
	Branches:   "The branches by code, each of one bank, in one region.",
	Managers:   "The personal managers by login, each in one branch; a new login becomes a Relay user who signs in once an administrator sets a password.",
	Clients:    "The clients by bank and the bank's id for them (ref); a client is never deleted, it is sent with the date it left.",
	Holdings:   "The products each client holds, from a date until a date (empty while held).",
	Facts:      "Each client's month: transactions, turnover, average balance and income by product (PRODUCT=amount;...).",
	Contacts:   "The contact history: the old CRM's and the contact centre's, each keyed by its source and its id there; who started it (bank or client), the outcome (complaint among them), optionally topic, notes, the user's login and a CSAT or NPS score.",
}

// FileName is the name a file of kind k has in a feed.
func (k Kind) FileName() string { return string(k) + ".csv" }

// columnSpec is one column of a feed file.
type columnSpec struct {
	name     string
	required bool   // the header must have it and every row must give a value
	optional bool   // the header may leave it out; an empty value means "none" or the default
	example  string // a value for the file's template
}

// columns of each kind, in the order the export writes them. A column that
// is neither required nor optional must be in the header but may be empty.
var columns = map[Kind][]columnSpec{
	Group: {
		{name: "code", required: true, example: "DSBG"},
		{name: "name", required: true, example: "Danube SME Banking Group"},
	},
	Banks: {
		{name: "code", required: true, example: "BN"},
		{name: "name", required: true, example: "Bank North"},
		{name: "currency", required: true, example: "EUR"},
		{name: "minor_digits", required: true, example: "2"},
	},
	Regions: {
		{name: "code", required: true, example: "BG-SOF"},
		{name: "name", required: true, example: "Sofia"},
	},
	Industries: {
		{name: "code", required: true, example: "G"},
		{name: "name", required: true, example: "Wholesale and retail trade"},
		{name: "nace_section", optional: true, example: "G"},
	},
	Products: {
		{name: "code", required: true, example: "ACQ-POS"},
		{name: "name", required: true, example: "POS acquiring"},
		{name: "family", required: true, example: "acquiring"},
		{name: "income_kind", required: true, example: "fee"},
		{name: "key_product", optional: true, example: "true"},
		{name: "active", optional: true, example: "true"},
	},
	Branches: {
		{name: "bank", required: true, example: "BN"},
		{name: "code", required: true, example: "BN-SOF-1"},
		{name: "name", required: true, example: "Sofia Centre"},
		{name: "region", required: true, example: "BG-SOF"},
	},
	Managers: {
		{name: "login", required: true, example: "mgr.ana"},
		{name: "name", required: true, example: "Ana Petrova"},
		{name: "branch", required: true, example: "BN-SOF-1"},
	},
	Clients: {
		{name: "bank", required: true, example: "BN"},
		{name: "ref", required: true, example: "C-1001"},
		{name: "tax_id", required: true, example: "BG201234567"},
		{name: "legal_name", required: true, example: "Orion Trade, OOD"},
		{name: "branch", required: true, example: "BN-SOF-1"},
		{name: "region", optional: true, example: "BG-SOF"},
		{name: "industry", required: true, example: "G"},
		{name: "size_band", required: true, example: "small"},
		{name: "since", required: true, example: "2021-03-15"},
		{name: "left_on", optional: true},
		{name: "manager", optional: true, example: "mgr.ana"},
	},
	Holdings: {
		{name: "bank", required: true, example: "BN"},
		{name: "client", required: true, example: "C-1001"},
		{name: "product", required: true, example: "ACQ-POS"},
		{name: "opened_on", required: true, example: "2021-09-01"},
		{name: "closed_on", optional: true},
	},
	Facts: {
		{name: "bank", required: true, example: "BN"},
		{name: "client", required: true, example: "C-1001"},
		{name: "month", required: true, example: "2025-03"},
		{name: "tx_count", required: true, example: "142"},
		{name: "turnover", required: true, example: "86400.00"},
		{name: "avg_balance", required: true, example: "15230.55"},
		{name: "income", optional: true, example: "ACQ-POS=410.75"},
	},
	Contacts: {
		{name: "bank", required: true, example: "BN"},
		{name: "client", required: true, example: "C-1001"},
		{name: "source", optional: true, example: "old-crm"},
		{name: "ref", required: true, example: "CRM-88121"},
		{name: "happened_at", required: true, example: "2025-03-14T09:30:00Z"},
		{name: "kind", required: true, example: "call"},
		{name: "started_by", required: true, example: "bank"},
		{name: "outcome", required: true, example: "reached"},
		{name: "topic", optional: true, example: "fees"},
		{name: "notes", optional: true, example: "Asked about the new payroll package."},
		{name: "user", optional: true, example: "mgr.ana"},
		{name: "csat", optional: true, example: "4"},
		{name: "nps", optional: true},
	},
}

// kindOfFile returns the kind a file name stands for. Names are matched
// without regard to case and to any directory part.
func kindOfFile(name string) (Kind, bool) {
	base := name
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	base = strings.ToLower(base)
	for _, k := range Kinds {
		if base == k.FileName() {
			return k, true
		}
	}
	return "", false
}

// fileNames lists the file names a feed may hold, for messages.
func fileNames() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = k.FileName()
	}
	return strings.Join(names, ", ")
}

// header maps a kind's columns to their positions in a file's header row.
type header struct {
	kind  Kind
	pos   map[string]int // column name → index in the row; absent optional columns are missing
	width int            // the number of columns every row must have
}

// readHeader checks a header row against the kind's columns and returns the
// problems found, each for the header line.
func readHeader(k Kind, row []string) (header, []headerProblem) {
	h := header{kind: k, pos: map[string]int{}, width: len(row)}
	var probs []headerProblem
	known := map[string]bool{}
	for _, c := range columns[k] {
		known[c.name] = true
	}
	for i, raw := range row {
		name := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case name == "":
			probs = append(probs, headerProblem{i, raw, says("emptycolumn")})
		case !known[name]:
			msg := says("notcolumn", "Name", quoted(strings.TrimSpace(raw)), "File", k.FileName(), "Columns", columnList(k))
			if s := suggest(name, k); s != "" {
				msg = says("notcolumnlike", "Name", quoted(strings.TrimSpace(raw)), "File", k.FileName(), "Like", quoted(s))
			}
			probs = append(probs, headerProblem{i, raw, msg})
		default:
			if j, dup := h.pos[name]; dup {
				probs = append(probs, headerProblem{i, raw, says("columntwice", "Name", quoted(name), "Other", j+1)})
				continue
			}
			h.pos[name] = i
		}
	}
	for _, c := range columns[k] {
		if _, ok := h.pos[c.name]; !ok && !c.optional {
			probs = append(probs, headerProblem{-1, "", says("nocolumn", "Name", quoted(c.name), "File", k.FileName())})
		}
	}
	return h, probs
}

type headerProblem struct {
	index int // column index, -1 when the problem is a missing column
	value string
	msg   problem
}

func columnList(k Kind) string {
	names := make([]string, 0, len(columns[k]))
	for _, c := range columns[k] {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// suggest returns the kind's column closest to a misspelled name, or "" when
// none is close.
func suggest(name string, k Kind) string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, c := range columns[k] {
		if d := editDistance(name, c.name); d <= 2 || (len(name) > 3 && strings.Contains(c.name, name)) {
			cs = append(cs, cand{c.name, d})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	return cs[0].name
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
