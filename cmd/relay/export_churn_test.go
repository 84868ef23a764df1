package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/relaycrm/relay/internal/demotest"
	"github.com/relaycrm/relay/internal/exports"
	"github.com/relaycrm/relay/internal/warnings"
)

// TestExportChurn writes the churn list from the command line, as a schedule
// would, and checks that the files hold what the page's export of the same
// filters holds, and that each export is audited as "cli".
func TestExportChurn(t *testing.T) {
	t.Parallel()
	pool := demotest.Scored(t, 2000)
	url := pool.Config().ConnString()
	ctx := context.Background()
	dir := t.TempDir()

	// What the page exports for bank BN's high warnings, as the risk team.
	risk, err := exports.GroupViewer(ctx, pool, "")
	if err != nil {
		t.Fatal(err)
	}
	bank, err := exports.BankByCode(ctx, pool, risk, "BN")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	n, err := exports.Churn(ctx, pool, risk, &want, exports.ChurnOptions{Format: exports.CSV,
		Filter: warnings.ListFilter{BankID: bank, Level: warnings.High}})
	if err != nil || n == 0 {
		t.Fatalf("the page's export: %d rows (%v)", n, err)
	}

	e, out := testEnv(url, "")
	csvPath := filepath.Join(dir, "churn.csv")
	if err := run(ctx, e, []string{"export", "churn", "--format", "csv", "--out", csvPath, "--bank", "BN", "--level", "high"}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the command's CSV differs from the page's export:\n%.400s\n---\n%.400s", got, want.Bytes())
	}
	if !strings.Contains(out.String(), "rows written to "+csvPath) {
		t.Errorf("output %q", out.String())
	}

	// The format follows the file's extension when --format is not given.
	xlsxPath := filepath.Join(dir, "churn.xlsx")
	if err := run(ctx, e, []string{"export", "churn", "--out", xlsxPath, "--bank", "BN", "--level", "high"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Churn list")
	if err != nil || int64(len(rows)) != n+1 {
		t.Errorf("the XLSX has %d rows (%v), want %d", len(rows), err, n+1)
	}

	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'export.churn' AND login = 'cli'
		AND details->'filters'->>'bank_label' = 'BN' AND details->'filters'->>'level' = 'high'
		AND (details->>'rows')::int = $1`, n).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("%d command-line exports in the audit log, want 2 (%v)", audited, err)
	}

	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--format", "csv"}, "--out"},
		{[]string{"--format", "pdf", "--out", filepath.Join(dir, "x.pdf")}, "--format"},
		{[]string{"--out", filepath.Join(dir, "x.txt")}, "--format"},
		{[]string{"--out", csvPath, "--bank", "ZZ"}, `--bank: no bank of the group has code "ZZ"`},
		{[]string{"--out", csvPath, "--level", "severe"}, `--level: "severe" is not a level`},
	} {
		err := run(ctx, e, append([]string{"export", "churn"}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.wantErr)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
