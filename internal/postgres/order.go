package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/migration"
)

// orderColumns are the columns of orders in the order scanOrder reads them.
const orderColumns = migration.OrderColumns

// CreateOrder stores version 1 of a new order with its "create" version, or
// returns the stored order (created=false) when the same order exists. See
// eligo.OrderStore. Its times are truncated to the microsecond first.
func (s *Store) CreateOrder(ctx context.Context, p *eligo.CreateOrderParams) (_ eligo.Order, _ bool, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if p == nil {
		return eligo.Order{}, false, eligo.Errorf(eligo.EINVALID, "create order: params are required")
	}
	np := p.Order
	np.PlacedAt, np.PromisedAt, np.PaymentTimeoutAt = micro(np.PlacedAt), micro(np.PromisedAt), micro(np.PaymentTimeoutAt)
	np.Deadlines = microDeadlineMap(np.Deadlines)
	var (
		o       eligo.Order
		created bool
	)
	err = s.inWriteTx(ctx, func(w *writeTx) error {
		created = false
		existing, err := w.findOrder(np.ID)
		if err != nil && eligo.ErrorCode(err) != eligo.ENOTFOUND {
			return err
		}
		if o, created, err = eligo.DecideCreate(&np, existing, w.now); err != nil || !created {
			return err
		}
		// A concurrent create of the same id makes the insert fail with a
		// unique violation; the retry finds that order.
		var ws writes
		ws.insert = &o
		ws.addVersion(nil, &o, nil, p.Who, "", time.Time{})
		ids, err := w.flush(&ws)
		if err != nil {
			return err
		}
		if err := w.enqueue([]eligo.Change{{Order: o, VersionID: ids[0], Event: eligo.VersionCreate}}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return eligo.Order{}, false, err
	}
	return o, created, nil
}

// findOrder returns the order, or nil and an ENOTFOUND error, without
// locking it.
func (w *writeTx) findOrder(id string) (*eligo.Order, error) {
	o, err := findOrder(w.ctx, w.tx, id)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// FindOrder returns the stored order, or ENOTFOUND.
func (s *Store) FindOrder(ctx context.Context, id string) (_ eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return findOrder(ctx, s.pool, id)
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func findOrder(ctx context.Context, q querier, id string) (eligo.Order, error) {
	o, err := scanOrder(q.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
	return eligo.FoundRow(o, err, pgx.ErrNoRows, "postgres: find order", func() error { return eligo.OrderNotFound(id) })
}

// ListOrders returns up to p.Limit orders with id > p.AfterID, by id (byte
// order). A limit below 1 is EINVALID.
func (s *Store) ListOrders(ctx context.Context, p *eligo.ListOrdersParams) (_ []eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListOrders(p, "postgres: list orders", scanOrder, func() (eligo.Rows, error) {
		return s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE id > $1 ORDER BY id LIMIT $2`, p.AfterID, p.Limit)
	})
}

// scanOrder and scanVersion read one row of orderColumns and of
// versionColumns, their times from timestamptz.
var (
	scanOrder   = eligo.OrderScanner(utc)
	scanVersion = eligo.VersionScanner(utc)
)

// utc returns a timestamptz column's time in UTC, or the zero time for
// NULL (nil).
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// micro returns t in UTC truncated to the microsecond, as timestamptz
// keeps it; the zero time stays zero.
func micro(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// microOrder truncates every time of o to the microsecond, its named
// deadlines included (in a new slice: an order's are never changed in
// place).
func microOrder(o *eligo.Order) {
	o.PlacedAt, o.PromisedAt = micro(o.PlacedAt), micro(o.PromisedAt)
	o.PaymentTimeoutAt, o.UpdatedAt = micro(o.PaymentTimeoutAt), micro(o.UpdatedAt)
	for i, d := range o.Deadlines {
		if !micro(d.At).Equal(d.At) || d.At.Location() != time.UTC {
			ds := slices.Clone(o.Deadlines)
			for j := i; j < len(ds); j++ {
				ds[j].At = micro(ds[j].At)
			}
			o.Deadlines = ds
			return
		}
	}
}

// microDeadlineMap returns the deadlines of a create truncated to the
// microsecond, in a new map (the caller's is left as it was).
func microDeadlineMap(m map[string]time.Time) map[string]time.Time {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]time.Time, len(m))
	for name, at := range m {
		out[name] = micro(at)
	}
	return out
}
