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
// the prepared statements bound to it: the transaction of a group of writes
// (see groupCommit). now and changes belong to the write being run.
type writeTx struct {
	ctx   context.Context
	store *Store
	tx    *sql.Tx
	stmts writeStmts
	// now is the clock reading taken for the write being run, under the
	// write lock.
	now time.Time
	// changes are the changes the write being run wrote so far, for the
	// jobs hook.
	changes []eligo.Change
	// callerCtx is the context of the write being run, whose trace (not
	// its deadline: the group's is w.ctx) the jobs hook sees.
	callerCtx context.Context
}

// beginWrite starts a write transaction. The caller must end it with
// tx.Commit or rollback.
func (s *Store) beginWrite(ctx context.Context) (*writeTx, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin: %w", err)
	}
	w := &writeTx{ctx: ctx, store: s, tx: tx}
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

// run runs one write of the group: apply, with the clock read now, then the
// jobs hook with the changes apply wrote. With savepoint set it runs inside
// a SAVEPOINT, rolled back when the write fails, so that the write's rows
// and jobs commit together or not at all and its failure leaves the rest of
// the transaction as it was. It returns the write's own error, and the
// transaction's when the savepoint could not be made, rolled back or
// released (the transaction is then unusable).
func (w *writeTx) run(apply func(w *writeTx) error, savepoint bool) (writeErr, txErr error) {
	w.now = w.store.set.Now().UTC()
	w.changes = nil
	if savepoint {
		if _, err := w.tx.ExecContext(w.ctx, `SAVEPOINT write`); err != nil {
			return nil, fmt.Errorf("sqlite: savepoint: %w", err)
		}
	}
	writeErr = w.work(apply)
	if !savepoint {
		return writeErr, nil
	}
	if writeErr != nil {
		if _, err := w.tx.ExecContext(w.ctx, `ROLLBACK TO write`); err != nil {
			return writeErr, fmt.Errorf("sqlite: roll back to the savepoint after %v: %w", writeErr, err)
		}
	}
	if _, err := w.tx.ExecContext(w.ctx, `RELEASE write`); err != nil {
		return writeErr, fmt.Errorf("sqlite: release the savepoint: %w", err)
	}
	return writeErr, nil
}

// work runs apply and then the jobs hook, and returns the first error; a
// panic of either is recovered as a *writePanic, so that it fails this
// write only, and its caller, rather than the goroutine that runs the
// group.
func (w *writeTx) work(apply func(w *writeTx) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &writePanic{value: v}
		}
	}()
	if err := apply(w); err != nil {
		return err
	}
	return w.enqueue()
}

// rollback ends the transaction unless it was committed.
func (w *writeTx) rollback() { _ = w.tx.Rollback() }

// findOrder returns the order, or nil and an ENOTFOUND error.
func (w *writeTx) findOrder(id string) (*eligo.Order, error) {
	o, err := scanOrder(w.stmts.findOrder.QueryRowContext(w.ctx, id))
	if o, err = foundOrder(o, err, id); err != nil {
		return nil, err
	}
	return &o, nil
}

// findForEvent returns the order (nil when it does not exist) and the
// record of the event id (nil when it was never processed, or eventID is
// empty). The common case, an order that exists, is one statement.
func (w *writeTx) findForEvent(orderID, eventID string) (*eligo.Order, *eligo.ProcessedEvent, error) {
	var ev processedRow
	o, err := eligo.ScanOrder(w.stmts.findForEvent.QueryRowContext(w.ctx, eventID, orderID), fromNanos, ev.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		seen, err := w.processed(eventID)
		return nil, seen, err
	} else if err != nil {
		return nil, nil, fmt.Errorf("sqlite: find order: %w", err)
	}
	return &o, ev.record(), nil
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

// processedRow is the columns of processed_events that eligo.ProcessedEvent
// holds, all NULL when there is no row.
type processedRow struct {
	orderID, eventType, status sql.NullString
	occurred                   *int64
}

func (r *processedRow) dest() []any {
	return []any{&r.orderID, &r.eventType, &r.status, &r.occurred}
}

// record returns the processed event, or nil when there was no row.
func (r *processedRow) record() *eligo.ProcessedEvent {
	if !r.orderID.Valid {
		return nil
	}
	return &eligo.ProcessedEvent{OrderID: r.orderID.String, Type: r.eventType.String, Status: r.status.String,
		OccurredAt: fromNanos(r.occurred), Known: r.eventType.Valid}
}

// processed returns the record of the event id, or nil when it was never
// processed or is empty.
func (w *writeTx) processed(eventID string) (*eligo.ProcessedEvent, error) {
	if eventID == "" {
		return nil, nil
	}
	var r processedRow
	err := w.stmts.findEvent.QueryRowContext(w.ctx, eventID).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: find processed event: %w", err)
	}
	return r.record(), nil
}

// recordEvent records u's event id as processed, with what the event said.
func (w *writeTx) recordEvent(u *eligo.Update) error {
	p := u.Processed()
	occurred, err := nanos("occurred_at", p.OccurredAt)
	if err != nil {
		return err
	}
	if _, err := w.stmts.insertEvent.ExecContext(w.ctx, u.EventID, p.OrderID, w.now.UnixNano(), p.Type, p.Status, occurred); err != nil {
		return fmt.Errorf("sqlite: record processed event: %w", err)
	}
	return nil
}
