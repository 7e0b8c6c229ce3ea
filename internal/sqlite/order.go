package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/eligo/eligo"
)

// CreateOrder stores version 1 of a new order with its "create" version, or
// returns the stored order (created=false) when the same order exists, as
// one write of a group transaction (see groupCommit). See
// eligo.OrderStore.
func (s *Store) CreateOrder(ctx context.Context, p *eligo.CreateOrderParams) (o eligo.Order, created bool, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if p == nil {
		return eligo.Order{}, false, eligo.Errorf(eligo.EINVALID, "create order: params are required")
	}
	err = s.group.write(ctx, 1, func(w *writeTx) error {
		var err error
		o, created, err = w.createOrder(p)
		return err
	})
	if err != nil {
		return eligo.Order{}, false, err
	}
	return o, created, nil
}

// createOrder writes what eligo.DecideCreate says of p.
func (w *writeTx) createOrder(p *eligo.CreateOrderParams) (eligo.Order, bool, error) {
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
	if _, err := w.insertVersion(nil, &o, nil, p.Who, "", time.Time{}); err != nil {
		return eligo.Order{}, false, err
	}
	return o, true, nil
}

// FindOrder returns the stored order, or ENOTFOUND.
func (s *Store) FindOrder(ctx context.Context, id string) (_ eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	o, err := scanOrder(s.rs.findOrder.QueryRowContext(ctx, id))
	return foundOrder(o, err, id)
}

// foundOrder is the answer of a lookup of order id (see eligo.FoundRow).
func foundOrder(o eligo.Order, err error, id string) (eligo.Order, error) {
	return eligo.FoundRow(o, err, sql.ErrNoRows, "sqlite: find order", func() error { return eligo.OrderNotFound(id) })
}

// ListOrders returns up to p.Limit orders with id > p.AfterID, by id (byte
// order). A limit below 1 is EINVALID.
func (s *Store) ListOrders(ctx context.Context, p *eligo.ListOrdersParams) (_ []eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListOrders(p, "sqlite: list orders", scanOrder, func() (eligo.Rows, error) {
		return s.rs.listOrders.QueryContext(ctx, p.AfterID, p.Limit)
	})
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
	attrs, deadlines, taken := eligo.OrderJSONColumns(o)
	return []any{o.ID, o.CustomerID, o.Status.String(), driver, o.PaymentStatus.String(),
		placed, promised, timeout, o.Version, updated, attrs, deadlines, taken}, nil
}
