// Package products owns the product catalogue of a banking group: each
// product's code, name, family, whether its income is a fee or interest,
// whether it is a key product (its closure is a strong churn signal) and
// whether it is still offered. Administrators keep it; every change is written
// to the audit log.
package products

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"

	"github.com/relaycrm/relay/internal/audit"
	"github.com/relaycrm/relay/internal/db"
	"github.com/relaycrm/relay/internal/i18n"
	"github.com/relaycrm/relay/internal/input"
)

// Product is a row of the product table.
type Product struct {
	ID         int64 `gorm:"primaryKey"`
	GroupID    int64
	Code       string
	Name       string
	Family     string
	IncomeKind string
	KeyProduct bool
	Active     bool
}

// TableName maps Product to its table.
func (Product) TableName() string { return "product" }

// Choice is a value and its label.
type Choice = input.Choice

// Families are the product families of MISSION.md, in the order forms show them.
var Families = []Choice{
	{Value: "accounts_payments", Label: "Accounts and payments"}, {Value: "cards", Label: "Cards"}, {Value: "acquiring", Label: "Acquiring"},
	{Value: "payroll", Label: "Payroll"}, {Value: "deposits", Label: "Deposits"}, {Value: "fx", Label: "FX"}, {Value: "cash", Label: "Cash"}, {Value: "lending", Label: "Lending"},
	{Value: "guarantees_trade", Label: "Guarantees and trade"}, {Value: "leasing_factoring", Label: "Leasing and factoring"},
	{Value: "insurance", Label: "Insurance"}, {Value: "digital", Label: "Digital"},
}

// IncomeKinds say how a product earns.
var IncomeKinds = []Choice{{Value: "fee", Label: "Fee"}, {Value: "interest", Label: "Interest"}}

// Form is a product as the administrator types it: text, so that the form
// re-renders with what was typed.
type Form struct {
	Code, Name, Family, IncomeKind string
	KeyProduct, Active             bool
}

// FormOf is the form of an existing product.
func FormOf(p Product) Form {
	return Form{Code: p.Code, Name: p.Name, Family: p.Family, IncomeKind: p.IncomeKind, KeyProduct: p.KeyProduct, Active: p.Active}
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,29}$`)

// MaxNameLength bounds a product's name.
const MaxNameLength = 120

// check normalises f and adds what is wrong with it to errs; the code is
// checked only when creating, since it never changes afterwards.
func (f *Form) check(ctx context.Context, creating bool, errs input.Errors) {
	f.Name = strings.TrimSpace(f.Name)
	if creating {
		f.Code = strings.ToUpper(strings.TrimSpace(f.Code))
		switch {
		case f.Code == "":
			errs.Add("code", i18n.T(ctx, "products.problem.code.empty"))
		case !codePattern.MatchString(f.Code):
			errs.Add("code", i18n.T(ctx, "products.problem.code.pattern"))
		}
	}
	switch {
	case f.Name == "":
		errs.Add("name", i18n.T(ctx, "products.problem.name.empty"))
	case utf8.RuneCountInString(f.Name) > MaxNameLength:
		errs.Add("name", i18n.T(ctx, "products.problem.name.long", "Length", utf8.RuneCountInString(f.Name), "Max", MaxNameLength))
	}
	if !input.IsChoice(Families, f.Family) {
		errs.Add("family", i18n.T(ctx, "products.problem.family"))
	}
	if !input.IsChoice(IncomeKinds, f.IncomeKind) {
		errs.Add("income_kind", i18n.T(ctx, "products.problem.income_kind"))
	}
}

//go:embed products.sql
var sqlFiles embed.FS

// SQL is the package's named queries, for the check at start.
var SQL = []db.File{db.MustLoadFile(sqlFiles, "internal/products", "products.sql")}

var queries = SQL[0].Queries

// Store reads and writes the catalogue: gorm reads Product records, and the
// changes, each in one transaction with its audit entry, are the package's
// named queries over the same pool.
type Store struct {
	pool *pgxpool.Pool
	g    *gorm.DB
}

// NewStore returns a Store over pool, and g, gorm over the same pool
// (db.Gorm(pool)).
func NewStore(pool *pgxpool.Pool, g *gorm.DB) *Store { return &Store{pool: pool, g: g} }

// List returns the group's catalogue by family and code.
func (s *Store) List(ctx context.Context, groupID int64) ([]Product, error) {
	var out []Product
	if err := s.g.WithContext(ctx).Where("group_id = ?", groupID).Order("code").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("product catalogue: %w", err)
	}
	rank := make(map[string]int, len(Families))
	for i, f := range Families {
		rank[f.Value] = i
	}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Family] < rank[out[j].Family] })
	return out, nil
}

// Get returns the group's product id.
func (s *Store) Get(ctx context.Context, groupID, id int64) (Product, error) {
	var p Product
	err := s.g.WithContext(ctx).Where("group_id = ?", groupID).First(&p, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, fmt.Errorf("product %d: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("product %d: %w", id, err)
	}
	return p, nil
}

func productObject(id int64) string { return fmt.Sprintf("product:%d", id) }

// Create adds the product f describes to the group's catalogue, as by, and
// writes product.create to the audit log. Bad input returns input.Errors by
// field, and nothing is written.
func (s *Store) Create(ctx context.Context, by audit.Actor, groupID int64, f Form) (Product, error) {
	var p Product
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		errs := input.Errors{}
		f.check(ctx, true, errs)
		if _, bad := errs["code"]; !bad {
			var owner string
			switch err := tx.QueryRow(ctx, queries.Get("code-owner"), groupID, f.Code).Scan(&owner); {
			case err == nil:
				errs.Add("code", i18n.T(ctx, "products.problem.code.owner", "Code", f.Code, "Owner", owner))
			case !errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("check product code: %w", err)
			}
		}
		if len(errs) > 0 {
			return errs
		}
		p = Product{GroupID: groupID, Code: f.Code, Name: f.Name, Family: f.Family, IncomeKind: f.IncomeKind,
			KeyProduct: f.KeyProduct, Active: f.Active}
		err := tx.QueryRow(ctx, queries.Get("insert"), p.GroupID, p.Code, p.Name, p.Family, p.IncomeKind, p.KeyProduct, p.Active).
			Scan(&p.ID)
		if _, dup := db.IsUniqueViolation(err); dup {
			return input.Errors{"code": i18n.T(ctx, "products.problem.code.taken", "Code", f.Code)}
		}
		if err != nil {
			return fmt.Errorf("create product %s: %w", f.Code, err)
		}
		return audit.Record(ctx, tx, by.Entry("product.create", productObject(p.ID), map[string]any{
			"code": p.Code, "name": p.Name, "family": p.Family, "income_kind": p.IncomeKind,
			"key_product": p.KeyProduct, "active": p.Active,
		}))
	})
	return p, err
}

// Update changes the group's product id to what f says, except its code,
// which never changes (the feed and the history name products by it), as by,
// and writes product.update with what changed to the audit log. It returns
// the names of the fields that changed.
func (s *Store) Update(ctx context.Context, by audit.Actor, groupID, id int64, f Form) ([]string, error) {
	var changed []string
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var cur Product
		err := tx.QueryRow(ctx, queries.Get("get-for-update"), groupID, id).Scan(&cur.ID, &cur.GroupID, &cur.Code,
			&cur.Name, &cur.Family, &cur.IncomeKind, &cur.KeyProduct, &cur.Active)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("product %d: %w", id, db.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("product %d: %w", id, err)
		}
		errs := input.Errors{}
		f.check(ctx, false, errs)
		if len(errs) > 0 {
			return errs
		}
		details := map[string]any{"code": cur.Code}
		note := func(field string, from, to any) {
			if from != to {
				changed = append(changed, field)
				details[field] = audit.Change{From: from, To: to}
			}
		}
		note("name", cur.Name, f.Name)
		note("family", cur.Family, f.Family)
		note("income_kind", cur.IncomeKind, f.IncomeKind)
		note("key_product", cur.KeyProduct, f.KeyProduct)
		note("active", cur.Active, f.Active)
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, queries.Get("update"), id, f.Name, f.Family, f.IncomeKind, f.KeyProduct, f.Active); err != nil {
			return fmt.Errorf("update product %s: %w", cur.Code, err)
		}
		return audit.Record(ctx, tx, by.Entry("product.update", productObject(id), details))
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}
