package warnings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
)

// Churn is a client's churn score as the last run gave it, whether or not it
// reached a warning, with the scorer behind it and every input's figure and
// contribution.
type Churn struct {
	Probability float64
	Score       int
	AsOf        time.Time
	Inputs      []InputValue // largest contribution first
	Scorer      Scorer
}

// Scorer is what scored a client: the published fixed weights (ModelID 0) or
// a learned model, with its out-of-time figures beside the fixed weights'.
type Scorer struct {
	ModelID             int64
	Source              string // fitted or imported
	FittedAt            time.Time
	TestAUC, TestLift   *float64
	FixedAUC, FixedLift *float64
}

// Learned says whether a learned model gave the score.
func (s Scorer) Learned() bool { return s.ModelID != 0 }

// ChurnOf returns a client's churn score, or db.ErrNotFound when v may not
// see the client or no run has scored it.
func ChurnOf(ctx context.Context, q db.Querier, v access.Viewer, clientID int64) (Churn, error) {
	var args db.Args
	args.Add(clientID)
	var ch Churn
	var inputs, contribs []*float32
	var codes []string
	var currency string
	var digits int
	var source *string
	var fitted *time.Time
	err := q.QueryRow(ctx, access.Scoped(queries.Get("churn-of"), v, &args), args.Values()...).Scan(
		&ch.Probability, &ch.Score, &ch.Scorer.ModelID, &inputs, &contribs, &codes, &ch.AsOf, &currency, &digits,
		&source, &fitted, &ch.Scorer.TestAUC, &ch.Scorer.TestLift, &ch.Scorer.FixedAUC, &ch.Scorer.FixedLift)
	if errors.Is(err, pgx.ErrNoRows) {
		return Churn{}, fmt.Errorf("client %d churn score: %w", clientID, db.ErrNotFound)
	}
	if err != nil {
		return Churn{}, fmt.Errorf("client %d churn score: %w", clientID, err)
	}
	if source != nil {
		ch.Scorer.Source = *source
	}
	if fitted != nil {
		ch.Scorer.FittedAt = *fitted
	}
	ch.Inputs = InputValues(i18n.From(ctx), codes, inputs, contribs, currency, digits)
	return ch, nil
}
