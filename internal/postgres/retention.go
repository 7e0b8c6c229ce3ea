package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eligo/eligo"
)

// deleteEndedSQL deletes one batch of ended orders with their versions and
// processed event ids in one statement: the batch is chosen once, by
// orders_ended, its rows locked (an order another transaction holds is
// left for the next batch), and every table is searched through an index.
var deleteEndedSQL = `WITH ended AS (
		SELECT id FROM orders WHERE status = ANY($1) AND updated_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED
	), events AS (
		DELETE FROM processed_events WHERE order_id IN (SELECT id FROM ended) RETURNING 1
	), vers AS (
		DELETE FROM versions WHERE item_type = $4 AND item_id IN (SELECT id FROM ended) RETURNING 1
	), ords AS (
		DELETE FROM orders WHERE status <> '` + eligo.StatusPlaced.String() + `' AND id IN (SELECT id FROM ended) RETURNING 1
	)
	SELECT (SELECT count(*) FROM ords), (SELECT count(*) FROM vers), (SELECT count(*) FROM events)`

// DeleteEndedOrders deletes up to limit orders that ended before
// endedBefore, with their versions and processed event ids, in one
// transaction.
func (s *Store) DeleteEndedOrders(ctx context.Context, endedBefore time.Time, limit int) (n eligo.RetentionCounts, err error) {
	if err := eligo.ValidateRetentionBatch(endedBefore, limit); err != nil {
		return n, err
	}
	ctx, done := s.call(ctx)
	defer done(&err)
	err = s.inWriteTx(ctx, func(w *writeTx) error {
		return w.tx.QueryRow(ctx, deleteEndedSQL, eligo.EndedStatusNames(), endedBefore, limit, eligo.ItemTypeOrder).
			Scan(&n.Orders, &n.Versions, &n.EventIDs)
	})
	if err != nil {
		return eligo.RetentionCounts{}, fmt.Errorf("postgres: delete ended orders: %w", err)
	}
	return n, nil
}

// DeleteVersions deletes up to limit version rows created before before.
func (s *Store) DeleteVersions(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBefore(ctx, "versions", `DELETE FROM versions WHERE id IN
		(SELECT id FROM versions WHERE created_at < $1 LIMIT $2)`, before, limit)
}

// DeleteEventIDs deletes up to limit processed event ids processed before
// before.
func (s *Store) DeleteEventIDs(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBefore(ctx, "processed_events", `DELETE FROM processed_events WHERE event_id IN
		(SELECT event_id FROM processed_events WHERE processed_at < $1 LIMIT $2)`, before, limit)
}

func (s *Store) deleteBefore(ctx context.Context, table, query string, before time.Time, limit int) (n int, err error) {
	if err := eligo.ValidateRetentionBatch(before, limit); err != nil {
		return 0, err
	}
	ctx, done := s.call(ctx)
	defer done(&err)
	err = s.inWriteTx(ctx, func(w *writeTx) error {
		tag, err := w.tx.Exec(ctx, query, before, limit)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: delete from %s: %w", table, err)
	}
	return n, nil
}

// OldestKept reads the oldest row of each kind through the retention
// indexes: the first entry of orders_ended for each ended status, and of
// the others.
func (s *Store) OldestKept(ctx context.Context) (o eligo.OldestKept, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	var ended []string
	for _, st := range eligo.EndedStatusNames() {
		ended = append(ended, fmt.Sprintf(`(SELECT min(updated_at) FROM orders WHERE status = '%s')`, st))
	}
	var order, version, event *time.Time
	err = s.pool.QueryRow(ctx, `SELECT least(`+strings.Join(ended, ", ")+`),
		(SELECT min(created_at) FROM versions), (SELECT min(processed_at) FROM processed_events)`).
		Scan(&order, &version, &event)
	if err != nil {
		return o, fmt.Errorf("postgres: oldest kept: %w", err)
	}
	return eligo.OldestKept{OrderEnded: utcOrZero(order), Version: utcOrZero(version), EventID: utcOrZero(event)}, nil
}

func utcOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
