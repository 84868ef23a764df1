package segments

import (
	"context"
	"fmt"
	"time"

	"github.com/relaycrm/relay/internal/access"
	"github.com/relaycrm/relay/internal/db"
)

// Standing is a client's place in its segment, as the latest nightly run left
// it: what the card shows beside the client's own records.
type Standing struct {
	ClientID    int64
	Currency    string // the client's bank's
	MinorDigits int
	// Scored is false when the latest run did not score the client: it had
	// left by then (Stage is Left), joined after, or no run has succeeded yet.
	Scored bool
	AsOf   time.Time // the as-of month of the run

	Segment      Segment
	SegmentSize  int
	BestClients  int
	TenureMonths int
	TenureBand   TenureBand

	ProfitMonths  int    // months of facts Profitability averages
	Profitability int64  // average monthly income
	ProfitBand    string // A (best quintile of its segment) to E
	// HasIdeal is false when neither the client's segment nor any coarser one
	// has enough best clients to learn an ideal profile from: IdealIncome,
	// Gap and Score are then zero and mean nothing.
	HasIdeal bool
	// Profile is the segment whose ideal profile applies: Segment itself, or a
	// coarser one when Segment has too few best clients (zero ID: none).
	Profile            Segment
	ProfileBestClients int
	IdealIncome        int64 // the profile's ideal profitability
	Gap                int64 // IdealIncome - Profitability, at least 0
	Score              int   // 100 x Profitability / IdealIncome, 0-100
	// Ideal is the profile's ideal set against what the client holds: the gap
	// explained product by product.
	Ideal []IdealItem

	Stage        Stage
	IncomeRecent *int64 // average monthly income of the recent window
	IncomeBase   *int64 // and of the window before it
	Activity     Activity
	RFM          [3]int // recency, frequency, monetary, 1-5 each

	ChurnScore    int    // 0-100, also when below the watch level
	WarningLevel  string // "", watch or high
	ChurnRate     *float64
	ExpectedYears *float64
	SegmentLTV    *int64
	CLV           *int64 // annual income discounted over the expected years
	// What the four lifetime figures are worked from, for their explanation:
	// the segment's clients active at the start of the 12 months to the as-of
	// month and how many of them left (ChurnRate = ChurnLeavers / ChurnBase),
	// its average monthly income (SegmentLTV = SegmentIncome x 12 x
	// ExpectedYears) and the bank's yearly discount rate (CLV discounts the
	// client's yearly income over ExpectedYears at it).
	ChurnBase, ChurnLeavers *int
	SegmentIncome           *int64
	DiscountRate            float64
}

// IdealItem is one product of the segment's ideal set, for one client.
type IdealItem struct {
	ProductStat
	Held bool // at the end of the as-of month
	// ClientIncome is the average monthly income it brought the client over
	// the profitability window, or since the client took it.
	ClientIncome int64
	// Shortfall is how far the client's income from it falls short of the
	// segment's value: the whole value when it is not held.
	Shortfall int64
}

// ClientStanding returns a client's standing, or db.ErrNotFound when v may not
// see the client. A client the latest run did not score has Scored false.
func ClientStanding(ctx context.Context, q db.Querier, v access.Viewer, clientID int64) (Standing, error) {
	var args db.Args
	args.Add(clientID)
	var (
		st       Standing
		leftOn   *time.Time
		segID    *int64
		asOf     *time.Time
		seg      Segment
		nullable struct {
			size, best, tenure, profitMonths, score, churnScore, r, f, m *int
			profileBest                                                  *int
			band                                                         *int16
			profit, ideal, gap, profileID                                *int64
			profitBand, stage, activity, warning                         *string
		}
	)
	err := q.QueryRow(ctx, access.Scoped(queries.Get("standing"), v, &args), args.Values()...).Scan(
		&st.ClientID, &leftOn, &st.Currency, &st.MinorDigits, &segID, &asOf,
		&nullable.size, &nullable.best, &nullable.tenure, &nullable.band, &nullable.profitMonths, &nullable.profit,
		&nullable.profitBand, &nullable.ideal, &nullable.gap, &nullable.score, &nullable.stage,
		&st.IncomeRecent, &st.IncomeBase, &nullable.r, &nullable.f, &nullable.m, &nullable.activity,
		&nullable.churnScore, &nullable.warning, &st.ChurnRate, &st.ExpectedYears, &st.SegmentLTV, &st.CLV,
		&nullable.profileID, &nullable.profileBest,
		&st.ChurnBase, &st.ChurnLeavers, &st.SegmentIncome, &st.DiscountRate)
	if err != nil {
		return Standing{}, notFound(err, "client %d standing", clientID)
	}
	if segID == nil {
		if leftOn != nil {
			st.Stage = Left
		}
		return st, nil
	}
	st.Scored = true
	st.AsOf = *asOf
	st.SegmentSize, st.BestClients, st.TenureMonths = *nullable.size, *nullable.best, *nullable.tenure
	st.TenureBand = TenureBand(*nullable.band)
	st.ProfitMonths, st.Profitability, st.ProfitBand = *nullable.profitMonths, *nullable.profit, *nullable.profitBand
	if nullable.ideal != nil && nullable.score != nil && nullable.profileID != nil {
		st.HasIdeal = true
		st.IdealIncome, st.Gap, st.Score = *nullable.ideal, *nullable.gap, *nullable.score
	}
	st.Stage, st.Activity = Stage(*nullable.stage), Activity(*nullable.activity)
	st.RFM = [3]int{*nullable.r, *nullable.f, *nullable.m}
	st.ChurnScore = *nullable.churnScore
	if nullable.warning != nil {
		st.WarningLevel = *nullable.warning
	}
	if err := q.QueryRow(ctx, queries.Get("segment"), *segID).Scan(segmentDest(&seg)...); err != nil {
		return Standing{}, notFound(err, "segment %d", *segID)
	}
	st.Segment = seg
	if !st.HasIdeal {
		return st, nil
	}
	st.Profile, st.ProfileBestClients = seg, *nullable.profileBest
	if *nullable.profileID != *segID {
		var ps Segment
		if err := q.QueryRow(ctx, queries.Get("segment"), *nullable.profileID).Scan(segmentDest(&ps)...); err != nil {
			return Standing{}, notFound(err, "segment %d", *nullable.profileID)
		}
		st.Profile = ps
	}

	var iargs db.Args
	iargs.Add(clientID)
	iargs.Add(st.Profile.ID)
	iargs.Add(st.AsOf)
	rows, err := q.Query(ctx, access.Scoped(queries.Get("standing-ideal"), v, &iargs), iargs.Values()...)
	if err != nil {
		return Standing{}, fmt.Errorf("client %d ideal set: %w", clientID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var it IdealItem
		if err := rows.Scan(&it.ProductID, &it.Code, &it.Name, &it.Holders, &it.BestHolders, &it.Adoption,
			&it.InIdeal, &it.ValueHolders, &it.Value, &it.Held, &it.ClientIncome); err != nil {
			return Standing{}, fmt.Errorf("client %d ideal set: %w", clientID, err)
		}
		it.Shortfall = max(it.Value-it.ClientIncome, 0)
		st.Ideal = append(st.Ideal, it)
	}
	if err := rows.Err(); err != nil {
		return Standing{}, fmt.Errorf("client %d ideal set: %w", clientID, err)
	}
	return st, nil
}
