package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eligo/eligo"
)

// The retention statements. An ended order's rows are found once, by
// orders_ended, and deleted by id: children first, for processed_events'
// foreign key, each through its own index.
var (
	selectEndedSQL = `SELECT id FROM orders WHERE status IN (` +
		strings.TrimSuffix(strings.Repeat("?,", len(eligo.EndedStatusNames())), ",") +
		`) AND updated_at < ? LIMIT ?`
	deleteOrderEventsSQL   = `DELETE FROM processed_events WHERE order_id IN (SELECT value FROM json_each(?))`
	deleteOrderVersionsSQL = `DELETE FROM versions WHERE item_type = ? AND item_id IN (SELECT value FROM json_each(?))`
	deleteOrdersSQL        = `DELETE FROM orders WHERE status <> '` + eligo.StatusPlaced.String() + `' AND id IN (SELECT value FROM json_each(?))`
)

// DeleteEndedOrders deletes up to limit orders that ended before
// endedBefore, with their versions and processed event ids, in one
// transaction.
func (s *Store) DeleteEndedOrders(ctx context.Context, endedBefore time.Time, limit int) (n eligo.RetentionCounts, err error) {
	if err := eligo.ValidateRetentionBatch(endedBefore, limit); err != nil {
		return n, err
	}
	ctx, done := s.call(ctx)
	defer done(&err)
	before, err := nanos("ended before", endedBefore)
	if err != nil {
		return n, err
	}
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		args := []any{}
		for _, st := range eligo.EndedStatusNames() {
			args = append(args, st)
		}
		rows, err := tx.QueryContext(ctx, selectEndedSQL, append(args, before, limit)...)
		ids, err := eligo.CollectRows(rows, err, "select ended orders", func(r eligo.RowScanner) (id string, err error) {
			return id, r.Scan(&id)
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		list, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		if n.EventIDs, err = execCount(ctx, tx, deleteOrderEventsSQL, string(list)); err != nil {
			return err
		}
		if n.Versions, err = execCount(ctx, tx, deleteOrderVersionsSQL, eligo.ItemTypeOrder, string(list)); err != nil {
			return err
		}
		n.Orders, err = execCount(ctx, tx, deleteOrdersSQL, string(list))
		return err
	})
	if err != nil {
		return eligo.RetentionCounts{}, fmt.Errorf("sqlite: delete ended orders: %w", err)
	}
	return n, nil
}

// DeleteVersions deletes up to limit version rows created before before.
func (s *Store) DeleteVersions(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBefore(ctx, "versions", `DELETE FROM versions WHERE id IN
		(SELECT id FROM versions WHERE created_at < ? LIMIT ?)`, before, limit)
}

// DeleteEventIDs deletes up to limit processed event ids processed before
// before.
func (s *Store) DeleteEventIDs(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteBefore(ctx, "processed_events", `DELETE FROM processed_events WHERE event_id IN
		(SELECT event_id FROM processed_events WHERE processed_at < ? LIMIT ?)`, before, limit)
}

func (s *Store) deleteBefore(ctx context.Context, table, query string, before time.Time, limit int) (n int, err error) {
	if err := eligo.ValidateRetentionBatch(before, limit); err != nil {
		return 0, err
	}
	ctx, done := s.call(ctx)
	defer done(&err)
	b, err := nanos("before", before)
	if err != nil {
		return 0, err
	}
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		n, err = execCount(ctx, tx, query, b, limit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete from %s: %w", table, err)
	}
	return n, nil
}

// OldestKept reads the oldest row of each kind through the retention
// indexes: one short range per ended status, and the first entry of the
// others.
func (s *Store) OldestKept(ctx context.Context) (o eligo.OldestKept, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	var ended []string
	for _, st := range eligo.EndedStatusNames() {
		ended = append(ended, fmt.Sprintf(`SELECT min(updated_at) AS t FROM orders WHERE status = '%s'`, st))
	}
	var order, version, event sql.NullInt64
	err = s.reader.QueryRowContext(ctx, `SELECT (SELECT min(t) FROM (`+strings.Join(ended, " UNION ALL ")+`)),
		(SELECT min(created_at) FROM versions), (SELECT min(processed_at) FROM processed_events)`).
		Scan(&order, &version, &event)
	if err != nil {
		return o, fmt.Errorf("sqlite: oldest kept: %w", err)
	}
	return eligo.OldestKept{OrderEnded: fromNull(order), Version: fromNull(version), EventID: fromNull(event)}, nil
}

// ReclaimSpace gives the pages that deletes freed back to the file system,
// a few thousand at a time so that no step holds the write lock long, until
// none is left or ctx ends. It
// does nothing on a database created without auto_vacuum=INCREMENTAL
// (before this build): VACUUM it once (docs/production.md).
func (s *Store) ReclaimSpace(ctx context.Context) error {
	for {
		var free int
		if err := s.writer.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return fmt.Errorf("sqlite: reclaim space: %w", err)
		}
		if free == 0 || s.autoVacuum(ctx) != autoVacuumIncremental {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := s.writer.ExecContext(ctx, `PRAGMA incremental_vacuum(2000)`); err != nil {
			return fmt.Errorf("sqlite: reclaim space: %w", err)
		}
	}
}

// autoVacuumIncremental is PRAGMA auto_vacuum's value for INCREMENTAL.
const autoVacuumIncremental = 2

// autoVacuum returns the database's auto_vacuum mode, -1 when unknown.
func (s *Store) autoVacuum(ctx context.Context) int {
	mode := -1
	if err := s.writer.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return -1
	}
	return mode
}

// inWriteTx runs fn in one BEGIN IMMEDIATE transaction and commits it.
func (s *Store) inWriteTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(&n.Int64)
}
