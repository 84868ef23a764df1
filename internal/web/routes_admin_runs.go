package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/views/components"
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
		row := pages.RunRow{ID: r.ID, Source: string(r.Source), Status: string(r.Status), Tone: runTone(string(r.Status)),
			Started: components.DateTime(r.StartedAt), Took: r.Duration().Round(100 * time.Millisecond).String(),
			Error: r.Error, Why: r.Why, AsOf: "not fixed yet"}
		if !r.AsOf.IsZero() {
			row.AsOf = components.Month(r.AsOf)
		}
		vm.Running = vm.Running || r.Status == nightly.StatusRunning
		for _, st := range r.Steps {
			rs := pages.RunStep{Name: st.Name, Status: string(st.Status), Tone: runTone(string(st.Status)), Error: st.Error}
			if d := st.Duration(); d > 0 {
				rs.Took = d.Round(10 * time.Millisecond).String()
			}
			var counts []string
			for _, k := range st.Counts {
				counts = append(counts, fmt.Sprintf("%s %s", k.Name, components.Int(int(k.Value))))
			}
			rs.Counts = strings.Join(counts, " · ")
			row.Steps = append(row.Steps, rs)
		}
		vm.Runs = append(vm.Runs, row)
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, pages.RunsList(vm))
	}
	return render(c, http.StatusOK, pages.AdminRunsPage(s.layout(c, viewer(c), "Nightly runs", "runs"), vm))
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
		s.setFlash(c, "A run is already under way; it is shown below.")
		return c.Redirect(http.StatusSeeOther, "/admin/runs")
	case err != nil:
		return err
	}
	if err := audit.Record(ctx, s.Pool, audit.Entry{UserID: v.UserID, Login: v.Login, IP: c.RealIP(),
		Action: "nightly.start", Object: fmt.Sprintf("nightly_run:%d", id)}); err != nil {
		return err
	}
	s.setFlash(c, fmt.Sprintf("Run %d started.", id))
	return c.Redirect(http.StatusSeeOther, "/admin/runs")
}
