package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/eligo/eligo"
)

// CreateOrder stores version 1 of a new order with its "create" version, or
// returns the stored order (created=false) when the same order exists. See
// eligo.OrderStore.
func (s *Store) CreateOrder(ctx context.Context, p *eligo.CreateOrderParams) (_ eligo.Order, _ bool, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if p == nil {
		return eligo.Order{}, false, eligo.Errorf(eligo.EINVALID, "create order: params are required")
	}
	w, err := s.beginWrite(ctx)
	if err != nil {
		return eligo.Order{}, false, err
	}
	defer w.rollback()
	existing, err := w.findOrder(p.Order.ID)
	if err != nil && eligo.ErrorCode(err) != eligo.ENOTFOUND {
		return eligo.Order{}, false, err
	}
	o, create, err := eligo.DecideCreate(&p.Order, existing, w.now)
	if err != nil || !create {
		return o, false, err
	}
	if err := w.insertOrder(&o); err != nil {
		return eligo.Order{}, false, err
	}
	if _, err := w.insertVersion(nil, &o, p.Who, "", time.Time{}); err != nil {
		return eligo.Order{}, false, err
	}
	if err := w.commit(); err != nil {
		return eligo.Order{}, false, err
	}
	return o, true, nil
}

// FindOrder returns the stored order, or ENOTFOUND.
func (s *Store) FindOrder(ctx context.Context, id string) (_ eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	o, err := scanOrder(s.rs.findOrder.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return eligo.Order{}, orderNotFound(id)
	} else if err != nil {
		return eligo.Order{}, fmt.Errorf("sqlite: find order: %w", err)
	}
	return o, nil
}

// ListOrders returns up to p.Limit orders with id > p.AfterID, by id (byte
// order). A limit below 1 is EINVALID.
func (s *Store) ListOrders(ctx context.Context, p *eligo.ListOrdersParams) (_ []eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rows, err := s.rs.listOrders.QueryContext(ctx, p.AfterID, p.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list orders: %w", err)
	}
	defer rows.Close()
	orders := make([]eligo.Order, 0, min(p.Limit, 1024))
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list orders: %w", err)
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list orders: %w", err)
	}
	return orders, nil
}

// orderArgs returns o's column values in the order of orderColumns. A time
// the column cannot hold is EINVALID.
func orderArgs(o *eligo.Order) ([]any, error) {
	placed, err := nanos("placed_at", o.PlacedAt)
	if err != nil {
		return nil, err
	}
	promised, err := nanos("promised_at", o.PromisedAt)
	if err != nil {
		return nil, err
	}
	timeout, err := nanos("payment_timeout_at", o.PaymentTimeoutAt)
	if err != nil {
		return nil, err
	}
	updated, err := nanos("updated_at", o.UpdatedAt)
	if err != nil {
		return nil, err
	}
	var driver any
	if o.DriverStatus != eligo.DriverNone {
		driver = o.DriverStatus.String()
	}
	return []any{o.ID, o.CustomerID, o.Status.String(), driver, o.PaymentStatus.String(),
		placed, promised, timeout, o.Version, updated}, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanOrder reads one row of orderColumns, and into extra the columns that
// follow them. A status it cannot parse is an
// internal error, not the EINVALID of parsing user input.
func scanOrder(row scanner, extra ...any) (eligo.Order, error) {
	var (
		o                             eligo.Order
		status, payment               string
		driver                        sql.NullString
		placed, promised, timeout, up sql.NullInt64
	)
	dest := append([]any{&o.ID, &o.CustomerID, &status, &driver, &payment,
		&placed, &promised, &timeout, &o.Version, &up}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		return eligo.Order{}, err
	}
	if o.Status, err = eligo.ParseStatus(status); err != nil {
		return eligo.Order{}, fmt.Errorf("order %s: stored status %q is unknown", o.ID, status)
	}
	if driver.Valid {
		if o.DriverStatus, err = eligo.ParseDriverStatus(driver.String); err != nil {
			return eligo.Order{}, fmt.Errorf("order %s: stored driver status %q is unknown", o.ID, driver.String)
		}
	}
	if o.PaymentStatus, err = eligo.ParsePaymentStatus(payment); err != nil {
		return eligo.Order{}, fmt.Errorf("order %s: stored payment status %q is unknown", o.ID, payment)
	}
	o.PlacedAt, o.PromisedAt = fromNanos(placed), fromNanos(promised)
	o.PaymentTimeoutAt, o.UpdatedAt = fromNanos(timeout), fromNanos(up)
	return o, nil
}
