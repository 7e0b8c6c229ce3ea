package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/eligo/eligo"
)

// listHotOrders reads one range of the index orders_ended (status,
// updated_at): the bound on updated_at is the range, the test of id only
// picks the rows at the range's first instant.
const listHotOrders = `SELECT ` + orderColumns + ` FROM orders
	WHERE status = $1 AND updated_at >= $2 AND (updated_at > $2 OR id > $3)
	ORDER BY updated_at, id LIMIT $4`

// ListHotOrders returns up to p.Limit orders of the hot set, live or ended
// at or after p.EndedSince, after p.After, as eligo.ListHotOrdersParams
// pages them. A limit below 1 is EINVALID.
func (s *Store) ListHotOrders(ctx context.Context, p *eligo.ListHotOrdersParams) (_ []eligo.Order, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListHotOrders(p, "postgres: list hot orders", scanOrder, func(r *eligo.HotRange, limit int) (eligo.Rows, error) {
		after := pgtype.Timestamptz{Time: r.AfterUpdatedAt, Valid: true}
		if r.AfterUpdatedAt.IsZero() {
			after = pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true} // no lower bound
		}
		return s.pool.Query(ctx, listHotOrders, r.Status.String(), after, r.AfterID, limit)
	})
}
