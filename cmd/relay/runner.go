package main

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"

	"github.com/relaycrm/relay/internal/imports"
	"github.com/relaycrm/relay/internal/metrics"
	"github.com/relaycrm/relay/internal/nightly"
	"github.com/relaycrm/relay/internal/settings"
)

// newRunner builds the nightly runner. Its first step imports the feeds
// waiting in the inbox directory (setting import.inbox_dir).
func newRunner(pool *pgxpool.Pool, g *gorm.DB, log *slog.Logger, inboxRoot string, m *metrics.Set) *nightly.Runner {
	return nightly.New(pool, nightly.Options{Settings: settings.NewStore(pool, g), Log: log, Metrics: m,
		Import: func(ctx context.Context) ([]nightly.Count, error) {
			results, err := imports.FromInbox(ctx, pool, inboxRoot, imports.Options{Source: imports.SourceInbox, Metrics: m})
			var applied, rejected, rows int64
			for _, r := range results {
				switch r.Status {
				case imports.Applied:
					applied++
					for _, f := range r.Files {
						rows += f.Rows
					}
				case imports.Rejected:
					rejected++
				}
			}
			return []nightly.Count{{Name: "feeds applied", Value: applied}, {Name: "feeds rejected", Value: rejected},
				{Name: "rows imported", Value: rows}}, err
		}})
}
