// Package model fits, scores, evaluates and carries the models that rank a
// bank's clients from its own history. It knows inputs by code and rows of
// numbers; what a row is (a client as of a month) and what makes it positive
// (it left within six months, it took a product) is the caller's. It reads
// no database and serves no page.
//
// # The additive model
//
// Each input's values on the training rows are cut at their weighted
// quantiles into at most 16 bins; equal cut points merge, so a 0/1 flag has
// two bins and an input with one value a single bin that contributes
// nothing, and a missing value has a bin of its own. The model is a logistic
// regression on the bins:
//
//	log-odds(x) = b₀ + Σₖ βₖ[bin of xₖ]
//
// a generalised additive model whose functions are step functions (splines
// of degree 0). Bins give each input any shape the data show (a threshold, a
// saturation, a U) without choosing a transform per input; since they are
// cut by rank, skewed amounts and outliers do no harm; and a contribution is
// a look-up a manager can read: this figure falls in this range, which is
// worth this much.
//
// Sixteen free levels per input would chase noise in thin bins, so the fit
// minimises the weighted log-loss plus a penalty on the squared differences
// of adjacent bins' coefficients within each input (a first-order difference
// penalty, as in P-splines): a shape moves only where the rows insist, and
// under strong smoothing it becomes flat (the input contributes nothing), not
// linear. A small ridge pulls each input's coefficients toward their mean,
// which keeps finite a bin whose rows are all positive or all negative (a
// missing bin held by a few leavers). The intercept is not penalised. Row
// weights enter the log-loss, so a sample of negatives weighted by the
// inverse of its sampling rate estimates the same model as every row and the
// probabilities stay calibrated. gonum's L-BFGS minimises the objective with
// its exact gradient; every cell is binned once to a byte, so one pass is a
// walk over bytes and table look-ups.
//
// The smoothing is relative to the evidence: the penalty's weight is Smooth
// times Σw·p̄(1−p̄), the information the rows carry at their mean rate p̄, so
// a value means the same for a small bank and a large one, a rare outcome
// and a common one. With 16 bins, 1 flattens all but the strongest shapes
// and 0.0001 leaves them nearly as the data have them. It is chosen out of
// time: fitted on every training period but the latest with 1, 0.1, 0.01,
// 0.001 and 0.0001 in turn, the value whose model has the least weighted
// log-loss on the latest training period wins (the search stops at the first
// value that does worse than the one before), and the model is fitted again
// with it on every training row.
//
// # Contributions that add up
//
// After the fit each input's coefficients are centred: the weighted mean of
// its contribution over the rows fitted on is subtracted from every one of
// its bins and added to the intercept. No prediction changes. A contribution
// then says how far this input moves this client's log-odds from where an
// average client's figure would put it: zero for an average figure, positive
// for a figure that raises the risk. Because the model is additive, the
// log-odds are exactly the intercept plus the contributions, so a warning's
// bars add up to its score with nothing left over in interactions. An
// input's importance is its weighted mean absolute contribution. A missing
// value of an input that was never missing in training contributes zero: it
// says nothing.
//
// # Testing and carrying
//
// Fit holds out the latest periods: the model is fitted on the earlier ones
// and its figures (AUC, top-10% lift, calibration, precision and recall,
// Brier score) are measured on rows it never saw, beside a baseline such as
// the published fixed weights (a Linear model) on the same rows. It refuses
// too little history with a *TooLittleHistory error. A model and its Card
// travel as versioned JSON (Marshal, Unmarshal); a Scorer binds its inputs
// by code to whatever order a caller's registry has (Bind), so a model fitted
// on one bank scores another.
package model
