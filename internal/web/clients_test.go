package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/relaycrm/relay/internal/dbtest"
	"github.com/relaycrm/relay/internal/webtest"
	"github.com/relaycrm/relay/seeds"
)

var rowID = regexp.MustCompile(`data-testid="client-row" data-client-id="(\d+)"`)

func rowIDs(body string) []int64 {
	var ids []int64
	for _, m := range rowID.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	return ids
}

var totalRe = regexp.MustCompile(`data-testid="total">\s*([\d,]+) clients`)

func total(t *testing.T, body string) int {
	t.Helper()
	m := totalRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no total on the page")
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

func dbCount(t *testing.T, srv *webtest.Server, where string, args ...any) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM client c WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestListShowsOnlyWhatTheRoleMaySee(t *testing.T) {
	t.Parallel()
	srv := start(t)
	for _, tc := range []struct {
		login, where string
	}{
		{managerLogin, `c.left_on IS NULL AND c.manager_id = (SELECT id FROM app_user WHERE login = 'mgr.bn-sof-1.01')`},
		{headLogin, `c.left_on IS NULL AND c.branch_id = (SELECT branch_id FROM app_user WHERE login = 'head.bn-sof-1')`},
		{riskLogin, `c.left_on IS NULL`},
	} {
		t.Run(tc.login, func(t *testing.T) {
			c := srv.NewClient(t)
			c.Login(tc.login, seeds.DemoPassword)
			r := c.Get("/clients")
			if got, want := total(t, r.Body), dbCount(t, srv, tc.where); got != want {
				t.Errorf("total %d, want %d", got, want)
			}
			ids := rowIDs(r.Body)
			if len(ids) == 0 {
				t.Fatal("no rows")
			}
			if n := dbCount(t, srv, tc.where+` AND c.id = ANY($1)`, ids); n != len(ids) {
				t.Errorf("%d of %d rows are outside the role's scope", len(ids)-n, len(ids))
			}
		})
	}
}

func TestListFiltersSortsAndPages(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(riskLogin, seeds.DemoPassword)
	ctx := context.Background()

	var industryID, regionID, bankID int64
	var taxID, name string
	var clientID int64
	if err := srv.Pool.QueryRow(ctx, `SELECT id FROM industry WHERE code = 'G'`).Scan(&industryID); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pool.QueryRow(ctx, `SELECT c.id, c.tax_id, c.legal_name, c.region_id, c.bank_id FROM client c WHERE c.left_on IS NULL ORDER BY c.id LIMIT 1 OFFSET 17`).
		Scan(&clientID, &taxID, &name, &regionID, &bankID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, query, where string
		args               []any
	}{
		{"industry", "industry=" + itoa(industryID), "c.left_on IS NULL AND c.industry_id = $1", []any{industryID}},
		{"region and size", "region=" + itoa(regionID) + "&size=small", "c.left_on IS NULL AND c.region_id = $1 AND c.size_band = 'small'", []any{regionID}},
		{"bank", "bank=" + itoa(bankID), "c.left_on IS NULL AND c.bank_id = $1", []any{bankID}},
		{"tenure 1-2 years", "tenure=12-24", "c.left_on IS NULL AND c.since <= $1::date - interval '12 months' AND c.since > $1::date - interval '24 months'", []any{dbtest.DemoNow}},
		{"tenure under 6 months", "tenure=0-6", "c.left_on IS NULL AND c.since > $1::date - interval '6 months'", []any{dbtest.DemoNow}},
		{"clients who left", "status=left", "c.left_on IS NOT NULL", nil},
		{"tax id prefix", "q=" + taxID[:7], "c.left_on IS NULL AND c.tax_id LIKE $1", []any{taxID[:7] + "%"}},
		{"part of the name, any case", "q=" + url.QueryEscape(strings.ToLower(name[2:9])), "c.left_on IS NULL AND c.legal_name ILIKE $1", []any{"%" + name[2:9] + "%"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Get("/clients?" + tc.query)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
			want := dbCount(t, srv, tc.where, tc.args...)
			if want == 0 {
				t.Fatalf("the case selects no clients; pick another")
			}
			if got := total(t, r.Body); got != want {
				t.Errorf("total %d, want %d", got, want)
			}
			ids := rowIDs(r.Body)
			if n := dbCount(t, srv, tc.where+` AND c.id = ANY($`+strconv.Itoa(len(tc.args)+1)+`)`, append(tc.args, ids)...); n != len(ids) {
				t.Errorf("%d of %d rows do not match the filter", len(ids)-n, len(ids))
			}
		})
	}

	t.Run("search by tax id finds the client", func(t *testing.T) {
		ids := rowIDs(c.Get("/clients?q=" + taxID).Body)
		if len(ids) != 1 || ids[0] != clientID {
			t.Errorf("search %s: rows %v, want [%d]", taxID, ids, clientID)
		}
	})

	t.Run("pages cover the list once, in order", func(t *testing.T) {
		q := "/clients?industry=" + itoa(industryID) + "&sort=-since"
		first := c.Get(q)
		n := total(t, first.Body)
		seen := map[int64]bool{}
		var all []int64
		for page := 1; page <= (n+24)/25; page++ {
			ids := rowIDs(c.Get(q + "&page=" + strconv.Itoa(page)).Body)
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("client %d on two pages", id)
				}
				seen[id] = true
			}
			all = append(all, ids...)
		}
		if len(all) != n {
			t.Fatalf("pages hold %d clients, total says %d", len(all), n)
		}
		var sorted bool
		if err := srv.Pool.QueryRow(ctx, `SELECT bool_and(ok) FROM (
			SELECT since <= lag(since) OVER (ORDER BY ord) AS ok FROM unnest($1::bigint[]) WITH ORDINALITY u(id, ord)
			JOIN client c ON c.id = u.id) x`, all).Scan(&sorted); err != nil {
			t.Fatal(err)
		}
		if !sorted {
			t.Error("sort=-since did not order the clients newest first across pages")
		}
	})

	t.Run("htmx gets only the results", func(t *testing.T) {
		r := c.GetHTMX("/clients?industry=" + itoa(industryID))
		if strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, `id="client-results"`) {
			t.Error("htmx request did not get the results fragment alone")
		}
	})

	t.Run("a branch lists its managers for the risk team", func(t *testing.T) {
		var branchID int64
		if err := srv.Pool.QueryRow(ctx, `SELECT branch_id FROM app_user WHERE login = $1`, managerLogin).Scan(&branchID); err != nil {
			t.Fatal(err)
		}
		r := c.Get("/clients?branch=" + itoa(branchID))
		if !strings.Contains(r.Body, "Maria Ivanova") {
			t.Error("the manager filter does not list the branch's managers")
		}
	})
}

func TestListRefusesBadParameters(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := srv.NewClient(t)
	c.Login(riskLogin, seeds.DemoPassword)
	for _, tc := range []struct{ query, param, says string }{
		{"sort=salary", "sort", "is not a sort order"},
		{"page=0", "page", "page must be between"},
		{"page=abc", "page", "is not a page number"},
		{"bank=north", "bank", "is not a valid choice"},
		{"tenure=7-8", "tenure", "is not a tenure band"},
		{"size=huge", "size", "is not a size band"},
		{"status=gone", "status", "is not a status"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := c.Get("/clients?" + tc.query)
			if r.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", r.Status)
			}
			if !strings.Contains(r.Body, "<strong>"+tc.param+"</strong>") || !strings.Contains(r.Body, tc.says) {
				t.Errorf("the page does not say what is wrong with %s", tc.param)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
