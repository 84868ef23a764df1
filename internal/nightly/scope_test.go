package nightly

import (
	"context"
	"errors"
	"testing"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/cards"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/nightly/nightlytest"
	"github.com/relaycrm/relay/internal/segments"
	"github.com/relaycrm/relay/internal/warnings"
)

// TestPictureScope checks who may read a client's nightly picture: its
// manager, its branch head and the risk team; not another manager, not an
// admin, not another group.
func TestPictureScope(t *testing.T) {
	t.Parallel()
	b := warnedBank(t)
	runNightly(t, b)
	var id int64
	if err := b.Pool.QueryRow(context.Background(), `SELECT id FROM client WHERE ref = 'X0'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	admin := access.Viewer{UserID: 99, Role: access.Admin, GroupID: 1}
	otherGroup := b.Risk
	otherGroup.GroupID = 2
	tests := []struct {
		name   string
		viewer access.Viewer
		sees   bool
	}{
		{"its manager", b.Manager1, true},
		{"another manager of the branch", b.Manager2, false},
		{"the branch head", b.Head, true},
		{"the risk team", b.Risk, true},
		{"an admin", admin, false},
		{"the risk team of another group", otherGroup, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := cards.Picture(context.Background(), b.Pool, tt.viewer, id)
			if !tt.sees {
				if !errors.Is(err, db.ErrNotFound) {
					t.Errorf("picture: %v, want db.ErrNotFound", err)
				}
				if _, err := warnings.ForClient(context.Background(), b.Pool, tt.viewer, id); !errors.Is(err, db.ErrNotFound) {
					t.Errorf("warning: %v, want db.ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !p.Scored || p.Warning == nil || p.Warning.Level != warnings.High || p.Stage != segments.Decline {
				t.Errorf("picture: scored %v, warning %+v, stage %s; want scored, a high warning, decline", p.Scored, p.Warning, p.Stage)
			}
		})
	}
}

// TestSegmentsList pages and sorts the segments of a group.
func TestSegmentsList(t *testing.T) {
	t.Parallel()
	b := newBank(t)
	b.Set("segment.min_clients", "2")
	for i, region := range []string{"R1", "R1", "R1", "R2", "R2"} {
		b.Add(nightlytest.Client{Ref: "L" + string(rune('A'+i)), Region: region, Since: since18,
			Holdings: []nightlytest.Holding{{Product: "CA", Opened: since18}},
			Facts:    nightlytest.Steady(map[string]int64{"CA": int64(1000 * (i + 1))})})
	}
	runNightly(t, b)
	ctx := context.Background()
	page, err := segments.List(ctx, b.Pool, b.Manager1, segments.ListFilter{Sort: "size", Desc: true, PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Segments) != 1 || page.Segments[0].Size != 3 || len(page.Segments[0].IdealSet) != 1 {
		t.Fatalf("first page by size: total %d, %+v", page.Total, page.Segments)
	}
	page, err = segments.List(ctx, b.Pool, b.Manager1, segments.ListFilter{Sort: "size", PerPage: 1, Page: 2})
	if err != nil || page.Segments[0].Size != 3 {
		t.Fatalf("second page ascending: %+v, %v", page.Segments, err)
	}
	if _, err := segments.List(ctx, b.Pool, b.Manager1, segments.ListFilter{Sort: "name; drop table client"}); err == nil {
		t.Error("a sort key outside the list was accepted")
	}
	other := b.Risk
	other.GroupID = 2
	if page, err := segments.List(ctx, b.Pool, other, segments.ListFilter{}); err != nil || page.Total != 0 {
		t.Errorf("another group sees %d segments (%v)", page.Total, err)
	}
}
