package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/eligo/eligo"
)

// writeTx is one BEGIN IMMEDIATE transaction on the writer connection with
// the prepared statements bound to it, and the clock reading taken once the
// write lock was held.
type writeTx struct {
	ctx   context.Context
	store *Store
	tx    *sql.Tx
	now   time.Time
	stmts writeStmts
}

// beginWrite starts a write transaction. The caller must end it with commit
// or rollback.
func (s *Store) beginWrite(ctx context.Context) (*writeTx, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
	w := &writeTx{ctx: ctx, store: s, tx: tx, now: s.now().UTC()}
	w.stmts = writeStmts{
		findOrder:     tx.StmtContext(ctx, s.ws.findOrder),
		findForEvent:  tx.StmtContext(ctx, s.ws.findForEvent),
		insertOrder:   tx.StmtContext(ctx, s.ws.insertOrder),
		updateOrder:   tx.StmtContext(ctx, s.ws.updateOrder),
		insertVersion: tx.StmtContext(ctx, s.ws.insertVersion),
		findEvent:     tx.StmtContext(ctx, s.ws.findEvent),
		insertEvent:   tx.StmtContext(ctx, s.ws.insertEvent),
	}
	return w, nil
}

func (w *writeTx) commit() error {
	if err := w.tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// rollback ends the transaction unless it was committed.
func (w *writeTx) rollback() { _ = w.tx.Rollback() }

// findOrder returns the order, or an ENOTFOUND error.
func (w *writeTx) findOrder(id string) (eligo.Order, error) {
	o, err := scanOrder(w.stmts.findOrder.QueryRowContext(w.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return eligo.Order{}, orderNotFound(id)
	} else if err != nil {
		return eligo.Order{}, fmt.Errorf("sqlite: find order: %w", err)
	}
	return o, nil
}

// findForEvent returns the order, or an ENOTFOUND error, and whether the
// event id was processed (false when the order does not exist).
func (w *writeTx) findForEvent(orderID, eventID string) (eligo.Order, bool, error) {
	var n int
	o, err := scanOrder(w.stmts.findForEvent.QueryRowContext(w.ctx, eventID, orderID), &n)
	if errors.Is(err, sql.ErrNoRows) {
		return eligo.Order{}, false, orderNotFound(orderID)
	} else if err != nil {
		return eligo.Order{}, false, fmt.Errorf("sqlite: find order: %w", err)
	}
	return o, n > 0, nil
}

func (w *writeTx) insertOrder(o *eligo.Order) error {
	args, err := orderArgs(o)
	if err != nil {
		return err
	}
	if _, err := w.stmts.insertOrder.ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("sqlite: insert order: %w", err)
	}
	return nil
}

// updateOrder writes the order columns in args (from orderArgs) over the
// row at version prev.
func (w *writeTx) updateOrder(args []any, prev int64) error {
	// args starts with the id; the UPDATE takes it in its WHERE.
	id := args[0]
	res, err := w.stmts.updateOrder.ExecContext(w.ctx, append(args[1:], id, prev)...)
	if err != nil {
		return fmt.Errorf("sqlite: update order: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("sqlite: update order %v at version %d: %d rows affected (%v)", id, prev, n, err)
	}
	return nil
}

// processed reports whether the event id was recorded.
func (w *writeTx) processed(eventID string) (bool, error) {
	var n int
	if err := w.stmts.findEvent.QueryRowContext(w.ctx, eventID).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlite: find processed event: %w", err)
	}
	return n > 0, nil
}

// recordEvent records the event id as processed for the order.
func (w *writeTx) recordEvent(eventID, orderID string) error {
	if _, err := w.stmts.insertEvent.ExecContext(w.ctx, eventID, orderID, w.now.UnixNano()); err != nil {
		return fmt.Errorf("sqlite: record processed event: %w", err)
	}
	return nil
}
