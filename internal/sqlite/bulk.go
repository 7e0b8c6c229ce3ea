package sqlite

import (
	"context"
	"fmt"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
)

// bulkCacheKiB is the page cache of the writer connection during a bulk
// load: the indexes being appended to stay in memory.
const bulkCacheKiB = 512 * 1024

// BulkLoad writes rows in one transaction with the store's own insert
// statements, so that they read back as CreateOrder and UpdateOrders would
// have left them (see package bulk). It is for laying down a long history
// in a new database, for benchmarks and tests: it decides nothing (an
// order id or event id that exists is an error and nothing is written),
// runs no jobs hook and no call deadline, and while it runs the database
// is not synced to disk (synchronous OFF), so a crash during a load can
// lose the file. Never use it on a database in service.
func (s *Store) BulkLoad(ctx context.Context, rows *bulk.Rows) (err error) {
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	defer conn.Close()
	var cache int
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA synchronous = OFF; PRAGMA cache_size = -%d`, bulkCacheKiB)); err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	defer func() {
		// The connection is the store's writer: put back its settings.
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA synchronous = NORMAL; PRAGMA cache_size = %d`, cache))
		if err == nil && rerr != nil {
			err = fmt.Errorf("sqlite: bulk load: restoring the writer's settings: %w", rerr)
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: bulk load: begin: %w", err)
	}
	defer tx.Rollback()
	w := &writeTx{ctx: ctx, store: s, stmts: writeStmts{
		insertOrder:   tx.StmtContext(ctx, s.ws.insertOrder),
		insertVersion: tx.StmtContext(ctx, s.ws.insertVersion),
		insertEvent:   tx.StmtContext(ctx, s.ws.insertEvent),
	}}
	if err := w.bulkInsert(rows); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: bulk load: commit: %w", err)
	}
	return nil
}

// bulkInsert inserts the rows with w's statements, each as the store's own
// writes encode it.
func (w *writeTx) bulkInsert(rows *bulk.Rows) error {
	for i := range rows.Orders {
		if err := w.insertOrder(&rows.Orders[i]); err != nil {
			return fmt.Errorf("sqlite: bulk load: %w", err)
		}
	}
	for i := range rows.Versions {
		v := &rows.Versions[i]
		var evID any
		if v.EventID != "" {
			evID = v.EventID
		}
		created, err := nanos("created_at", v.CreatedAt)
		if err != nil {
			return err
		}
		occ, err := nanos("occurred_at", v.OccurredAt)
		if err != nil {
			return err
		}
		action, policyVersion, params := eligo.VersionActionColumns(&v.Version)
		if _, err := w.stmts.insertVersion.ExecContext(w.ctx, eligo.ItemTypeOrder, v.ItemID, v.Event, v.Whodunnit,
			string(v.Changes), evID, v.OrderVersion, created, v.Host, v.Build, occ, action, policyVersion, params); err != nil {
			return fmt.Errorf("sqlite: bulk load: insert version: %w", err)
		}
	}
	for i := range rows.Events {
		e := &rows.Events[i]
		processed, err := nanos("processed_at", e.ProcessedAt)
		if err != nil {
			return err
		}
		occ, err := nanos("occurred_at", e.Record.OccurredAt)
		if err != nil {
			return err
		}
		if _, err := w.stmts.insertEvent.ExecContext(w.ctx, e.ID, e.Record.OrderID, processed,
			e.Record.Type, e.Record.Status, occ); err != nil {
			return fmt.Errorf("sqlite: bulk load: record processed event: %w", err)
		}
	}
	return nil
}
