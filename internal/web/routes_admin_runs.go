package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/views/pages"
)

// runsShown is how many runs the runs page lists at a time.
const runsShown = 10

func (s *server) adminRuns(c echo.Context) error {
	ctx := c.Request().Context()
	offset, err := offsetParam(c)
	if err != nil {
		return err
	}
	// A run whose process died is recorded as failed first, so that it does
	// not keep "Start a run now" disabled.
	if _, err := nightly.Reconcile(ctx, s.Pool); err != nil {
		return err
	}
	page, err := nightly.Runs(ctx, s.Pool, runsShown, offset)
	if err != nil {
		return err
	}
	cfg, err := s.Settings.Load(ctx)
	if err != nil {
		return err
	}
	vm := pages.AdminRuns{Flash: s.popFlash(c), CSRF: s.csrfToken(c), Schedule: cfg.String("nightly.schedule"),
		Total: page.Total, Offset: offset, PerPage: runsShown}
	for _, r := range page.Runs {
		row := pages.RunRow{ID: r.ID, Source: runWord(ctx, "runs.source.", string(r.Source)), Status: string(r.Status),
			StatusLabel: runWord(ctx, "runs.statuses.", string(r.Status)), Tone: runTone(string(r.Status)),
			Started: i18n.DateTime(ctx, r.StartedAt), Took: i18n.Duration(ctx, r.Duration()),
			Error: nightly.ErrorIn(i18n.From(ctx), r.ErrorKey, r.ErrorArgs, r.Error), Why: runWhy(ctx, r), AsOf: i18n.T(ctx, "runs.asof.none")}
		if !r.AsOf.IsZero() {
			row.AsOf = i18n.Month(ctx, r.AsOf)
		}
		vm.Running = vm.Running || r.Status == nightly.StatusRunning
		for _, st := range r.Steps {
			rs := pages.RunStep{Name: runWord(ctx, "runs.steps.", st.Name), Status: runWord(ctx, "runs.statuses.", string(st.Status)),
				Tone: runTone(string(st.Status)), Error: nightly.ErrorIn(i18n.From(ctx), st.ErrorKey, st.ErrorArgs, st.Error)}
			if d := st.Duration(); d > 0 {
				rs.Took = i18n.Duration(ctx, d)
			}
			var counts []string
			for _, k := range st.Counts {
				counts = append(counts, runWord(ctx, "runs.count.", k.Name)+" "+i18n.Int(ctx, k.Value))
			}
			rs.Counts = strings.Join(counts, " · ")
			row.Steps = append(row.Steps, rs)
		}
		vm.Runs = append(vm.Runs, row)
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, pages.RunsList(vm))
	}
	return render(c, http.StatusOK, pages.AdminRunsPage(s.layout(c, viewer(c), i18n.T(ctx, "runs.title"), "runs"), vm))
}

// runWord is a word the nightly run records as a code (a step, a count, a
// status, a source) in the viewer's language; the code itself when the
// message files do not know it (a step or count added since).
func runWord(ctx context.Context, prefix, code string) string {
	if !hasMessage(prefix + code) {
		return code
	}
	return i18n.T(ctx, prefix+code)
}

var (
	messagesOnce sync.Once
	messageIDs   map[string]string
)

// hasMessage tells whether the message files have id.
func hasMessage(id string) bool {
	messagesOnce.Do(func() { messageIDs = i18n.Messages(i18n.English) })
	_, ok := messageIDs[id]
	return ok
}

func runTone(status string) string {
	switch status {
	case "succeeded":
		return "good"
	case "failed":
		return "bad"
	case "running":
		return "warn"
	}
	return ""
}

// adminRunStart starts a run in the background; the page then follows it.
func (s *server) adminRunStart(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewer(c)
	id, err := s.Nightly.Start(ctx, nightly.Request{Source: nightly.SourceManual, RequestedBy: v.UserID})
	switch {
	case errors.Is(err, nightly.ErrRunning):
		s.setFlash(c, i18n.T(ctx, "runs.flash.running"))
		return c.Redirect(http.StatusSeeOther, "/admin/runs")
	case err != nil:
		return err
	}
	if err := audit.Record(ctx, s.Pool, audit.Entry{UserID: v.UserID, Login: v.Login, IP: c.RealIP(),
		Action: "nightly.start", Object: fmt.Sprintf("nightly_run:%d", id)}); err != nil {
		return err
	}
	s.setFlash(c, i18n.T(ctx, "runs.flash.started", "ID", id))
	return c.Redirect(http.StatusSeeOther, "/admin/runs")
}

// runWhy says which kind of run ran and why: the run's own words in English
// ("quick: nothing changed since run N", "full: what changed"); in another
// language the kind and, for a quick run, the run it follows.
func runWhy(ctx context.Context, r nightly.Run) string {
	if r.Why == "" || i18n.From(ctx) == i18n.English {
		return r.Why
	}
	if r.Kind == nightly.KindQuick {
		var since int64
		if _, err := fmt.Sscanf(r.Why, "quick: nothing changed since run %d", &since); err == nil {
			return i18n.T(ctx, "runs.why.quick", "Run", since)
		}
	}
	return i18n.T(ctx, "runs.why.full")
}
