package sqlite

import (
	"context"
	"math"

	"github.com/eligo/eligo"
)

// listHotOrders reads one range of the index orders_ended (status,
// updated_at; the primary key id follows in a table WITHOUT ROWID): the
// bound on updated_at is the range, the test of id only picks the rows at
// the range's first instant.
const listHotOrders = `SELECT ` + orderColumns + ` FROM orders INDEXED BY orders_ended
	WHERE status = ? AND updated_at >= ? AND (updated_at > ? OR id > ?)
	ORDER BY updated_at, id LIMIT ?`

// ListHotOrders returns up to p.Limit orders of the hot set, live or ended
// at or after p.EndedSince, after p.After, as eligo.ListHotOrdersParams
// pages them. A limit below 1 is EINVALID.
func (s *Store) ListHotOrders(ctx context.Context, p *eligo.ListHotOrdersParams) (_ []eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListHotOrders(p, "sqlite: list hot orders", scanOrder, func(r *eligo.HotRange, limit int) (eligo.Rows, error) {
		after := int64(math.MinInt64) // no lower bound
		if !r.AfterUpdatedAt.IsZero() {
			n, err := nanos("ended since", r.AfterUpdatedAt)
			if err != nil {
				return nil, err
			}
			after = n.(int64)
		}
		return s.reader.QueryContext(ctx, listHotOrders, r.Status.String(), after, after, r.AfterID, limit)
	})
}
