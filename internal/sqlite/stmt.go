package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eligo/eligo/internal/migration"
)

// orderColumns are the columns of orders in the order scanOrder reads them.
const orderColumns = migration.OrderColumns

// processedColumns are the columns of processed_events that processedRow
// reads, in its order.
const processedColumns = `order_id, event_type, event_status, occurred_at`

// writeStmts are prepared once on the writer connection and bound to each
// transaction with tx.StmtContext, which reuses them.
type writeStmts struct {
	findOrder     *sql.Stmt
	findForEvent  *sql.Stmt
	insertOrder   *sql.Stmt
	updateOrder   *sql.Stmt
	insertVersion *sql.Stmt
	findEvent     *sql.Stmt
	insertEvent   *sql.Stmt
}

func (w *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, []stmtDef{
		{&w.findOrder, `SELECT ` + orderColumns + ` FROM orders WHERE id = ?`},
		// One statement for the two lookups of every event: the order and
		// whether the event id was processed.
		{&w.findForEvent, `SELECT ` + orderColumns + `, ` + processedColumns + `
			FROM orders LEFT JOIN processed_events ON event_id = ? WHERE id = ?`},
		{&w.insertOrder, `INSERT INTO orders (` + orderColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.updateOrder, `UPDATE orders SET customer_id = ?, status = ?, driver_status = ?, payment_status = ?,
			placed_at = ?, promised_at = ?, payment_timeout_at = ?, version = ?, updated_at = ?,
			attributes = ?, deadlines = ?, taken = ?
			WHERE id = ? AND version = ?`},
		{&w.insertVersion, `INSERT INTO versions (item_type, item_id, event, whodunnit, object_changes,
			event_id, order_version, created_at, host, build, occurred_at, action, policy_version, params)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.findEvent, `SELECT ` + processedColumns + ` FROM processed_events WHERE event_id = ?`},
		{&w.insertEvent, `INSERT INTO processed_events (event_id, order_id, processed_at, event_type, event_status, occurred_at)
			VALUES (?, ?, ?, ?, ?, ?)`},
	})
}

func (w *writeStmts) close() error {
	return closeAll(w.findOrder, w.findForEvent, w.insertOrder, w.updateOrder, w.insertVersion, w.findEvent, w.insertEvent)
}

// readStmts are prepared on the reader pool.
type readStmts struct {
	findOrder    *sql.Stmt
	listOrders   *sql.Stmt
	orderExists  *sql.Stmt
	findVersions *sql.Stmt
	findVersion  *sql.Stmt
	listChanges  *sql.Stmt
}

// versionColumns are the columns of versions in the order scanVersion reads
// them.
const versionColumns = migration.VersionColumns

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, []stmtDef{
		{&r.findOrder, `SELECT ` + orderColumns + ` FROM orders WHERE id = ?`},
		{&r.listOrders, `SELECT ` + orderColumns + ` FROM orders WHERE id > ? ORDER BY id LIMIT ?`},
		{&r.orderExists, `SELECT count(*) FROM orders WHERE id = ?`},
		{&r.findVersions, `SELECT ` + versionColumns + ` FROM versions
			WHERE item_type = ? AND item_id = ? ORDER BY id`},
		{&r.findVersion, `SELECT ` + versionColumns + ` FROM versions WHERE id = ?`},
		{&r.listChanges, `SELECT id, item_id, order_version FROM versions
			WHERE id > ? AND item_type = ? ORDER BY id LIMIT ?`},
	})
}

func (r *readStmts) close() error {
	return closeAll(r.findOrder, r.listOrders, r.orderExists, r.findVersions, r.findVersion, r.listChanges)
}

type stmtDef struct {
	dst   **sql.Stmt
	query string
}

func prepareAll(ctx context.Context, db *sql.DB, defs []stmtDef) error {
	for _, d := range defs {
		s, err := db.PrepareContext(ctx, d.query)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", d.query, err)
		}
		*d.dst = s
	}
	return nil
}

func closeAll(stmts ...*sql.Stmt) error {
	var errs []error
	for _, s := range stmts {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}
