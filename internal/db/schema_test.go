package db_test

import (
	"context"
	"testing"

	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/dbtest"
)

// baseline is a minimal valid group: two banks, a branch each, a region, an
// industry, a product, a manager in each branch and one client.
const baseline = `
INSERT INTO banking_group (id, code, name) VALUES (1, 'G', 'Group');
INSERT INTO bank (id, group_id, code, name, currency) VALUES (1, 1, 'B1', 'Bank One', 'EUR'), (2, 1, 'B2', 'Bank Two', 'RON');
INSERT INTO region (id, group_id, code, name) VALUES (1, 1, 'R1', 'Region');
INSERT INTO branch (id, bank_id, region_id, code, name) VALUES (1, 1, 1, 'BR1', 'Branch 1'), (2, 2, 1, 'BR2', 'Branch 2');
INSERT INTO industry (id, group_id, code, name, nace_section) VALUES (1, 1, 'G', 'Trade', 'G');
INSERT INTO product (id, group_id, code, name, family, income_kind) VALUES (1, 1, 'CA', 'Account', 'accounts_payments', 'fee');
INSERT INTO app_user (id, group_id, login, name, role, branch_id, password_hash) VALUES
  (1, 1, 'm1', 'M One', 'manager', 1, 'x'), (2, 1, 'm2', 'M Two', 'manager', 2, 'x');
INSERT INTO client (id, group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band, since, manager_id)
  VALUES (1, 1, 1, 'C1', '123456789', 'First Ltd', 1, 1, 1, 'micro', '2024-01-15', 1);
SELECT ensure_fact_partition('2026-01-01');
SELECT setval(pg_get_serial_sequence(t, 'id'), 100) FROM unnest(ARRAY['client', 'app_user', 'bank', 'product']) t;
`

// TestSchemaKeepsBadDataOut checks that each kind of bad row is refused by the
// constraint meant for it, and that the good variant of each is accepted.
func TestSchemaKeepsBadDataOut(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, baseline); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	client := `INSERT INTO client (group_id, bank_id, ref, tax_id, legal_name, branch_id, region_id, industry_id, size_band, since, left_on, manager_id) VALUES `
	fact := `INSERT INTO monthly_fact (client_id, month, tx_count, turnover, avg_balance, income, product_ids, product_income) VALUES `
	cases := []struct {
		name, sql, constraint string // empty constraint: the row is good
	}{
		{"same tax id in the same bank", client + `(1, 1, 'C2', '123456789', 'Twin', 1, 1, 1, 'micro', '2024-01-01', NULL, 1)`, "client_bank_id_tax_id_key"},
		{"same tax id in another bank is fine", client + `(1, 2, 'C2', '123456789', 'Twin', 2, 1, 1, 'micro', '2024-01-01', NULL, 2)`, ""},
		{"same bank client id twice", client + `(1, 1, 'C1', '999999999', 'Other', 1, 1, 1, 'micro', '2024-01-01', NULL, 1)`, "client_bank_id_ref_key"},
		{"branch of another bank", client + `(1, 1, 'C3', '888888888', 'Wrong branch', 2, 1, 1, 'micro', '2024-01-01', NULL, NULL)`, "client_branch_id_bank_id_fkey"},
		{"manager of another branch", client + `(1, 1, 'C4', '777777777', 'Wrong manager', 1, 1, 1, 'micro', '2024-01-01', NULL, 2)`, "client_manager_id_branch_id_fkey"},
		{"left before it arrived", client + `(1, 1, 'C5', '666666666', 'Time traveller', 1, 1, 1, 'micro', '2024-01-01', '2023-12-31', 1)`, "client_check"},
		{"unknown size band", client + `(1, 1, 'C6', '555555555', 'Huge', 1, 1, 1, 'huge', '2024-01-01', NULL, 1)`, "client_size_band_check"},
		{"lower-case tax id", client + `(1, 1, 'C7', 'ro1234', 'Lower', 1, 1, 1, 'micro', '2024-01-01', NULL, 1)`, "client_tax_id_check"},
		{"blank legal name", client + `(1, 1, 'C8', '444444444', '  ', 1, 1, 1, 'micro', '2024-01-01', NULL, 1)`, "client_legal_name_check"},
		{"a month that is not the first day", fact + `(1, '2026-01-15', 1, 1, 1, 1, '{1}', '{1}')`, "monthly_fact_month_check"},
		{"income arrays of different lengths", fact + `(1, '2026-01-01', 1, 1, 1, 1, '{1}', '{1,2}')`, "monthly_fact_check"},
		{"negative turnover", fact + `(1, '2026-01-01', 1, -5, 1, 1, '{1}', '{1}')`, "monthly_fact_turnover_check"},
		{"facts of an unknown client", fact + `(99, '2026-01-01', 1, 1, 1, 1, '{1}', '{1}')`, "monthly_fact_client_id_fkey"},
		{"a good month of facts", fact + `(1, '2026-01-01', 10, 500000, 120000, 2500, '{1}', '{2500}')`, ""},
		{"the same month twice", fact + `(1, '2026-01-01', 10, 500000, 120000, 2500, '{1}', '{2500}')`, "monthly_fact_y2026m01_pkey"},
		{"a good holding", `INSERT INTO holding VALUES (1, 1, '2024-01-15', NULL)`, ""},
		{"a second open holding of the same product", `INSERT INTO holding VALUES (1, 1, '2024-02-01', NULL)`, "holding_open_once_idx"},
		{"a holding closed before it opened", `INSERT INTO holding VALUES (1, 1, '2023-05-01', '2023-04-01')`, "holding_check"},
		{"CSAT out of range", `INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, csat) VALUES (1, 1, 'call', now(), 'reached', 6)`, "contact_csat_check"},
		{"NPS out of range", `INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, nps) VALUES (1, 1, 'call', now(), 'reached', 11)`, "contact_nps_check"},
		{"unknown contact kind", `INSERT INTO contact (client_id, user_id, kind, happened_at, outcome) VALUES (1, 1, 'fax', now(), 'reached')`, "contact_kind_check"},
		{"next contact before this one", `INSERT INTO contact (client_id, user_id, kind, happened_at, outcome, next_contact_on) VALUES (1, 1, 'call', '2026-03-10', 'reached', '2026-03-01')`, "contact_check"},
		{"a manager without a branch", `INSERT INTO app_user (group_id, login, name, role, password_hash) VALUES (1, 'm3', 'M', 'manager', 'x')`, "app_user_check"},
		{"a risk analyst with a branch", `INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash) VALUES (1, 'r1', 'R', 'risk', 1, 'x')`, "app_user_check"},
		{"an unknown role", `INSERT INTO app_user (group_id, login, name, role, password_hash) VALUES (1, 'x1', 'X', 'ceo', 'x')`, "app_user_role_check"},
		{"a duplicate login", `INSERT INTO app_user (group_id, login, name, role, branch_id, password_hash) VALUES (1, 'm1', 'M', 'manager', 1, 'x')`, "app_user_login_key"},
		{"an unknown product family", `INSERT INTO product (group_id, code, name, family, income_kind) VALUES (1, 'Z', 'Z', 'crypto', 'fee')`, "product_family_check"},
		{"a currency that is not ISO", `INSERT INTO bank (group_id, code, name, currency) VALUES (1, 'B3', 'B3', 'eu1')`, "bank_currency_check"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := pool.Exec(ctx, c.sql)
			if c.constraint == "" {
				if err != nil {
					t.Fatalf("good row refused: %v", err)
				}
				return
			}
			got, ok := db.IsConstraintViolation(err)
			if !ok {
				t.Fatalf("want violation of %s, got %v", c.constraint, err)
			}
			if got != c.constraint {
				t.Fatalf("violated %s, want %s (%v)", got, c.constraint, err)
			}
		})
	}
}
