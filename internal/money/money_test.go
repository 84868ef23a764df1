package money

import "testing"

func TestFormat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		minor    int64
		ccy      string
		digits   int
		want     string
		wantWhol string
	}{
		{"zero", 0, "EUR", 2, "0.00 EUR", "0 EUR"},
		{"cents only", 5, "EUR", 2, "0.05 EUR", "0 EUR"},
		{"grouped thousands", 1234567, "EUR", 2, "12,345.67 EUR", "12,346 EUR"},
		{"millions", 123456789012, "RSD", 2, "1,234,567,890.12 RSD", "1,234,567,890 RSD"},
		{"negative balance", -150050, "RON", 2, "-1,500.50 RON", "-1,501 RON"},
		{"no minor digits", 1234, "JPY", 0, "1,234 JPY", "1,234 JPY"},
		{"three digits", 1234567, "KWD", 3, "1,234.567 KWD", "1,235 KWD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Format(c.minor, c.ccy, c.digits); got != c.want {
				t.Errorf("Format(%d) = %q, want %q", c.minor, got, c.want)
			}
			if got := Whole(c.minor, c.ccy, c.digits); got != c.wantWhol {
				t.Errorf("Whole(%d) = %q, want %q", c.minor, got, c.wantWhol)
			}
		})
	}
}
