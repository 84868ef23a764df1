package nightly

import (
	"context"
	"fmt"
	"testing"

	"github.com/relaycrm/relay/internal/nightly/nightlytest"
)

// TestBackOff checks the level each client's segment backs off to, at
// segment.min_clients = 5, just at and just below the size.
func TestBackOff(t *testing.T) {
	tests := []struct {
		name                  string
		r1, r2, ind2          int // clients in R1/IND1, R2/IND1 (both 1-2 years) and R1/IND2
		wantR1, wantR2, want2 int // levels
	}{
		{"R1 at the minimum keeps its own segment, R2 backs off to bank x industry x tenure", 5, 3, 2, 1, 2, 4},
		{"R1 one below the minimum backs off too", 4, 3, 2, 2, 2, 4},
		{"bank x industry x tenure below the minimum backs off to bank x industry", 2, 2, 2, 3, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBank(t)
			b.Set("segment.min_clients", "5")
			add := func(prefix, region, industry string, n int) {
				for i := 0; i < n; i++ {
					b.Add(nightlytest.Client{Ref: fmt.Sprintf("%s%02d", prefix, i), Region: region, Industry: industry,
						Since: since18, Facts: nightlytest.Steady(map[string]int64{"CA": 1000})})
				}
			}
			add("A", "R1", "IND1", tt.r1)
			add("B", "R2", "IND1", tt.r2)
			add("D", "R1", "IND2", tt.ind2)
			if tt.name == "bank x industry x tenure below the minimum backs off to bank x industry" {
				// a 3+ years client makes bank x IND1 reach 5
				add("E", "R1", "IND1", 1)
				b.Exec(`UPDATE client SET since = '2020-01-10' WHERE ref = 'E00'`)
			}
			runNightly(t, b)
			check := func(prefix string, want int) {
				t.Helper()
				rows, err := b.Pool.Query(context.Background(), `
					SELECT c.ref, s.level FROM client c JOIN client_score s ON s.client_id = c.id WHERE c.ref LIKE $1 || '%'`, prefix)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var ref string
					var level int
					if err := rows.Scan(&ref, &level); err != nil {
						t.Fatal(err)
					}
					if level != want {
						t.Errorf("%s: level %d, want %d", ref, level, want)
					}
				}
			}
			check("A", tt.wantR1)
			check("B", tt.wantR2)
			check("D", tt.want2)
		})
	}
}
