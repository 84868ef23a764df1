package nightly

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule runs the chain on the cron schedule of the setting nightly.schedule
// (minute hour day month weekday, server time) until ctx ends, and returns at
// once. A change to the setting takes effect within a minute. When several
// servers share the database, each fires and one runs: the others find the
// lock taken, or a scheduled run that just succeeded, and skip.
func Schedule(ctx context.Context, r *Runner) error {
	spec, err := r.scheduleSpec(ctx)
	if err != nil {
		return err
	}
	c := cron.New()
	job := func() {
		run, err := r.Run(ctx, Request{Source: SourceSchedule})
		switch {
		case errors.Is(err, ErrRunning), errors.Is(err, ErrSkipped):
			r.log.Info("nightly: scheduled run skipped", "reason", err)
		case err != nil:
			r.log.Error("nightly: scheduled run failed", "run", run.ID, "err", err)
		}
	}
	id, err := c.AddFunc(spec, job)
	if err != nil {
		return fmt.Errorf("nightly.schedule: %q: %w", spec, err)
	}
	c.Start()
	r.log.Info("nightly: scheduled", "schedule", spec)
	go func() {
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				<-c.Stop().Done()
				return
			case <-tick.C:
				next, err := r.scheduleSpec(ctx)
				if err != nil || next == spec {
					if err != nil && ctx.Err() == nil {
						r.log.Warn("nightly: read schedule", "err", err)
					}
					continue
				}
				nid, err := c.AddFunc(next, job)
				if err != nil {
					r.log.Warn("nightly: new schedule refused, the old one stays", "schedule", next, "err", err)
					continue
				}
				c.Remove(id)
				id, spec = nid, next
				r.log.Info("nightly: rescheduled", "schedule", spec)
			}
		}
	}()
	return nil
}

func (r *Runner) scheduleSpec(ctx context.Context) (string, error) {
	vals, err := r.settings.Load(ctx)
	if err != nil {
		return "", err
	}
	return vals.String("nightly.schedule"), nil
}
