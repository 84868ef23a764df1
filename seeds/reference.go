// Package seeds holds Relay's reference data (a banking group, its banks,
// regions, branches, the NACE industries and an SME product catalogue) and the
// demo bank generator, which writes a deterministic, living client base in bulk.
package seeds

// GroupCode and GroupName name the demo banking group.
const (
	GroupCode = "DEMO"
	GroupName = "Danube SME Banking Group"
)

// BankSpec is a bank of the group.
type BankSpec struct {
	Code, Name, Currency string
	// CurrencyPerEUR scales the catalogue's EUR income ranges into the bank's currency.
	CurrencyPerEUR float64
	TaxPrefix      string
	LegalForms     []string
	Regions        []RegionSpec
}

// RegionSpec is a region and what its clients tend to buy.
type RegionSpec struct {
	Code, Name string
	Branches   int     // branches of the bank in the region, at least (more for a big demo)
	Weight     float64 // share of the bank's clients
	Trait      string  // capital, coast, farm, industry: shifts product preferences
}

// Banks is the demo group: three banks in three currencies, twelve regions and
// thirty branches, more when the demo is big enough to need them.
var Banks = []BankSpec{
	{Code: "BN", Name: "Bank North", Currency: "EUR", CurrencyPerEUR: 1, TaxPrefix: "", LegalForms: []string{"EOOD", "OOD", "AD", "ET"},
		Regions: []RegionSpec{
			{Code: "BG-SOF", Name: "Sofia", Branches: 4, Weight: 0.36, Trait: "capital"},
			{Code: "BG-VAR", Name: "Varna", Branches: 3, Weight: 0.20, Trait: "coast"},
			{Code: "BG-PLO", Name: "Plovdiv", Branches: 3, Weight: 0.20, Trait: "industry"},
			{Code: "BG-BUR", Name: "Burgas", Branches: 2, Weight: 0.12, Trait: "coast"},
			{Code: "BG-RUS", Name: "Ruse", Branches: 2, Weight: 0.12, Trait: "farm"},
		}},
	{Code: "DB", Name: "Dunarea Bank", Currency: "RON", CurrencyPerEUR: 5, TaxPrefix: "RO", LegalForms: []string{"SRL", "SA", "PFA"},
		Regions: []RegionSpec{
			{Code: "RO-BUC", Name: "Bucharest", Branches: 4, Weight: 0.40, Trait: "capital"},
			{Code: "RO-CLJ", Name: "Cluj", Branches: 2, Weight: 0.22, Trait: "industry"},
			{Code: "RO-TIM", Name: "Timis", Branches: 2, Weight: 0.20, Trait: "industry"},
			{Code: "RO-CTA", Name: "Constanta", Branches: 2, Weight: 0.18, Trait: "coast"},
		}},
	{Code: "SB", Name: "Sava Bank", Currency: "RSD", CurrencyPerEUR: 117, TaxPrefix: "", LegalForms: []string{"DOO", "AD", "PR"},
		Regions: []RegionSpec{
			{Code: "RS-BEG", Name: "Belgrade", Branches: 3, Weight: 0.50, Trait: "capital"},
			{Code: "RS-NSA", Name: "Novi Sad", Branches: 2, Weight: 0.28, Trait: "farm"},
			{Code: "RS-NIS", Name: "Nis", Branches: 1, Weight: 0.22, Trait: "industry"},
		}},
}

// IndustrySpec is a NACE Rev.2 section and its share of SME clients.
type IndustrySpec struct {
	Code, Name string
	Weight     float64
	Words      []string // words that appear in its clients' names
}

// Industries are the 21 NACE Rev.2 sections.
var Industries = []IndustrySpec{
	{"A", "Agriculture, forestry and fishing", 5, []string{"Agro", "Farm", "Harvest", "Fields", "Orchard"}},
	{"B", "Mining and quarrying", 0.6, []string{"Quarry", "Minerals", "Stone"}},
	{"C", "Manufacturing", 11, []string{"Manufacturing", "Works", "Industries", "Plast", "Metal", "Furniture"}},
	{"D", "Electricity, gas, steam and air conditioning supply", 0.8, []string{"Energy", "Solar", "Power"}},
	{"E", "Water supply, sewerage, waste management", 0.8, []string{"Recycling", "Water", "Eco"}},
	{"F", "Construction", 10, []string{"Construction", "Build", "Engineering", "Homes"}},
	{"G", "Wholesale and retail trade", 22, []string{"Trade", "Market", "Store", "Distribution", "Shop"}},
	{"H", "Transportation and storage", 6, []string{"Logistics", "Transport", "Cargo", "Freight"}},
	{"I", "Accommodation and food service", 8, []string{"Hotel", "Restaurant", "Bistro", "Catering", "Resort"}},
	{"J", "Information and communication", 5, []string{"Soft", "Digital", "Data", "Media", "Systems"}},
	{"K", "Financial and insurance activities", 1.2, []string{"Finance", "Brokers", "Capital"}},
	{"L", "Real estate activities", 4, []string{"Properties", "Estates", "Realty"}},
	{"M", "Professional, scientific and technical activities", 8, []string{"Consulting", "Partners", "Advisory", "Design"}},
	{"N", "Administrative and support service", 4, []string{"Services", "Facility", "Staffing"}},
	{"O", "Public administration and defence", 0.3, []string{"Municipal", "Public"}},
	{"P", "Education", 1.5, []string{"Academy", "School", "Learning"}},
	{"Q", "Human health and social work", 3, []string{"Clinic", "Medical", "Care", "Dental"}},
	{"R", "Arts, entertainment and recreation", 1.5, []string{"Events", "Studio", "Sports"}},
	{"S", "Other service activities", 4, []string{"Repair", "Beauty", "Cleaning"}},
	{"T", "Activities of households as employers", 0.2, []string{"Household"}},
	{"U", "Activities of extraterritorial organisations", 0.1, []string{"International"}},
}

// ProductSpec is a catalogue product with the demo's monthly income range (in
// EUR cents, scaled to each bank's currency) and how likely an average client
// is to hold it.
type ProductSpec struct {
	Code, Name, Family, Kind string
	Key                      bool // closing it is a strong churn signal
	MinMonthly, MaxMonthly   int64
	Adoption                 float64 // for an average client of an average industry
	Core                     bool    // opened on the first day
}

// Products is the SME catalogue: 25 products across the MISSION families.
var Products = []ProductSpec{
	{"CA-MAIN", "Business current account", "accounts_payments", "fee", true, 1500, 6000, 1, true},
	{"PAY-DOM", "Domestic payments package", "accounts_payments", "fee", false, 1000, 9000, 0.55, false},
	{"PAY-INTL", "International payments", "accounts_payments", "fee", false, 3000, 25000, 0.18, false},
	{"CARD-DEB", "Business debit card", "cards", "fee", false, 500, 3000, 0.50, false},
	{"CARD-CRE", "Business credit card", "cards", "interest", false, 1500, 9000, 0.20, false},
	{"ACQ-POS", "POS acquiring", "acquiring", "fee", true, 5000, 80000, 0.18, false},
	{"ACQ-ECOM", "E-commerce acquiring", "acquiring", "fee", false, 4000, 60000, 0.08, false},
	{"PAYROLL", "Payroll service", "payroll", "fee", true, 3000, 30000, 0.30, false},
	{"DEP-TERM", "Term deposit", "deposits", "interest", false, 2000, 50000, 0.15, false},
	{"DEP-OVN", "Overnight deposit sweep", "deposits", "interest", false, 1000, 15000, 0.22, false},
	{"FX-SPOT", "FX conversions", "fx", "fee", false, 2000, 60000, 0.20, false},
	{"FX-HEDGE", "FX forwards and hedging", "fx", "fee", false, 5000, 90000, 0.05, false},
	{"CASH-COL", "Cash collection", "cash", "fee", false, 2000, 20000, 0.12, false},
	{"CASH-SAFE", "Night safe deposits", "cash", "fee", false, 1000, 6000, 0.10, false},
	{"LOAN-WC", "Working capital loan", "lending", "interest", false, 20000, 300000, 0.22, false},
	{"LOAN-INV", "Investment loan", "lending", "interest", false, 40000, 500000, 0.10, false},
	{"OVERDRAFT", "Business overdraft", "lending", "interest", false, 3000, 40000, 0.28, false},
	{"GUAR", "Bank guarantees", "guarantees_trade", "fee", false, 3000, 50000, 0.08, false},
	{"LC", "Letters of credit", "guarantees_trade", "fee", false, 5000, 80000, 0.04, false},
	{"LEASE", "Equipment leasing", "leasing_factoring", "interest", false, 10000, 150000, 0.10, false},
	{"FACTOR", "Factoring", "leasing_factoring", "fee", false, 10000, 120000, 0.05, false},
	{"INS-PROP", "Property insurance", "insurance", "fee", false, 1000, 15000, 0.15, false},
	{"INS-CRED", "Trade credit insurance", "insurance", "fee", false, 2000, 20000, 0.04, false},
	{"EBANK", "Internet banking", "digital", "fee", false, 500, 2000, 0.75, true},
	{"API-H2H", "Host-to-host and API banking", "digital", "fee", false, 5000, 30000, 0.04, false},
}

// industryAffinity multiplies the adoption of products by industry, so that
// segments differ and their ideal profiles mean something.
var industryAffinity = map[string]map[string]float64{
	"A": {"LOAN-WC": 2.2, "LOAN-INV": 2.5, "LEASE": 3, "INS-PROP": 2.5, "ACQ-POS": 0.2, "API-H2H": 0.3},
	"B": {"LEASE": 3, "GUAR": 2.5, "LOAN-INV": 2, "FX-SPOT": 1.5},
	"C": {"FX-SPOT": 2.5, "FX-HEDGE": 3, "LC": 4, "PAY-INTL": 2.8, "LEASE": 2.5, "PAYROLL": 1.8, "FACTOR": 2.5, "INS-CRED": 2.5, "ACQ-POS": 0.2},
	"D": {"LOAN-INV": 3, "GUAR": 2, "DEP-TERM": 2},
	"E": {"LOAN-INV": 2, "GUAR": 2, "LEASE": 2},
	"F": {"GUAR": 4.5, "LEASE": 3, "PAYROLL": 1.8, "OVERDRAFT": 1.5, "ACQ-POS": 0.1},
	"G": {"ACQ-POS": 3.5, "ACQ-ECOM": 2.5, "CASH-COL": 3.5, "CASH-SAFE": 2.5, "OVERDRAFT": 1.6, "FACTOR": 1.5},
	"H": {"LEASE": 4, "CARD-CRE": 2.5, "FX-SPOT": 2, "PAY-INTL": 2, "INS-PROP": 1.8},
	"I": {"ACQ-POS": 4.5, "ACQ-ECOM": 2.5, "CASH-COL": 2.5, "CASH-SAFE": 3, "PAYROLL": 1.6, "FX-SPOT": 1.4},
	"J": {"API-H2H": 6, "FX-SPOT": 2.2, "PAY-INTL": 3, "CARD-CRE": 2, "ACQ-ECOM": 2.5, "LOAN-WC": 0.4},
	"K": {"DEP-TERM": 3, "DEP-OVN": 2.5, "API-H2H": 3},
	"L": {"LOAN-INV": 3, "DEP-TERM": 2, "INS-PROP": 3, "ACQ-POS": 0.1},
	"M": {"CARD-CRE": 1.8, "DEP-OVN": 1.8, "PAY-INTL": 1.5, "ACQ-POS": 0.3},
	"N": {"PAYROLL": 2.5, "OVERDRAFT": 1.4},
	"O": {"DEP-TERM": 2, "PAYROLL": 2},
	"P": {"PAYROLL": 2, "ACQ-ECOM": 1.5},
	"Q": {"ACQ-POS": 2.2, "PAYROLL": 1.8, "LEASE": 2, "INS-PROP": 1.8},
	"R": {"ACQ-POS": 2.5, "ACQ-ECOM": 2, "CASH-COL": 1.5},
	"S": {"ACQ-POS": 2, "CASH-SAFE": 1.5},
	"T": {"PAYROLL": 1.5},
	"U": {"FX-SPOT": 3, "PAY-INTL": 3},
}

// regionAffinity multiplies adoption by the region's trait.
var regionAffinity = map[string]map[string]float64{
	"capital":  {"EBANK": 1.2, "API-H2H": 2, "FX-SPOT": 1.4, "PAY-INTL": 1.5, "ACQ-ECOM": 1.6, "CARD-CRE": 1.3},
	"coast":    {"ACQ-POS": 1.6, "CASH-COL": 1.5, "FX-SPOT": 1.5, "CASH-SAFE": 1.4},
	"farm":     {"LOAN-WC": 1.4, "LEASE": 1.5, "INS-PROP": 1.4, "API-H2H": 0.4, "ACQ-ECOM": 0.5},
	"industry": {"FX-HEDGE": 1.6, "LC": 1.6, "FACTOR": 1.5, "PAYROLL": 1.3, "GUAR": 1.3},
}

// managerNames are first and last names for demo users, per bank's country.
var managerNames = map[string][2][]string{
	// women at even positions, men at odd ones, in both lists
	"BN": {{"Maria", "Ivan", "Elena", "Georgi", "Desislava", "Petar", "Vesela", "Nikolay", "Kalina", "Stoyan"},
		{"Ivanova", "Petrov", "Georgieva", "Dimitrov", "Stoyanova", "Kolev", "Todorova", "Nikolov", "Hristova", "Marinov"}},
	"DB": {{"Andreea", "Mihai", "Ioana", "Alexandru", "Elena", "Radu", "Cristina", "Bogdan", "Irina", "Stefan"},
		{"Popescu", "Ionescu", "Dumitru", "Stan", "Gheorghe", "Matei", "Constantin", "Marin", "Florea", "Rusu"}},
	"SB": {{"Jelena", "Marko", "Ana", "Nikola", "Milica", "Stefan", "Ivana", "Luka", "Tamara", "Dusan"},
		{"Jovanovic", "Petrovic", "Nikolic", "Markovic", "Djordjevic", "Stojanovic", "Ilic", "Pavlovic", "Milosevic", "Popovic"}},
}

// nameStems start demo client names.
var nameStems = []string{
	"Alpha", "Aurora", "Balkan", "Blue", "Cedar", "Central", "Danube", "Delta", "Eagle", "East", "Euro", "Falcon",
	"First", "Golden", "Granite", "Green", "Harbor", "Horizon", "Iris", "Jade", "Kappa", "Lion", "Lotus", "Maple",
	"Meridian", "Nova", "Oak", "Olymp", "Orion", "Pearl", "Pine", "Pioneer", "Prima", "Rhodope", "River", "Royal",
	"Sapphire", "Silver", "Sky", "Star", "Stone", "Summit", "Sun", "Terra", "Titan", "Union", "Valley", "Vega",
	"Victory", "Vista", "West", "Zenith", "Amber", "Atlas", "Boreal", "Cobalt", "Crest", "Echo", "Ember", "Flint",
	"Helios", "Ivory", "Juniper", "Krona", "Lumen", "Magna", "Nord", "Onyx", "Polar", "Quartz", "Rila", "Sirius",
}

// nameMiddles sit between a stem and the industry word in demo client names.
var nameMiddles = []string{"", "", "", "Pro", "Plus", "Group", "Line", "Point", "Tech", "Trade", "Invest", "Nova", "Bio", "Smart", "Max"}
