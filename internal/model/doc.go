// Package model fits, scores, evaluates and carries the models that rank
// clients from a bank's own history: it knows inputs by code and rows of
// numbers, nothing of churn or products.
package model
