package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eligo/eligo"
)

// Change is one applied change of a write transaction: the order after it
// (Version 1 for a create) and the version just recorded.
type Change struct {
	Order     eligo.Order
	VersionID int64
}

// JobsFunc is called inside a write transaction, once, after its order
// rows, versions and event ids are written, with every change the
// transaction applied, in input order. It inserts the jobs they cause
// (River's InsertManyTx on riverpgxv5 takes tx), so that they commit with
// the changes or not at all; one call per transaction keeps a batch of a
// thousand events one insert of jobs. An error rolls the whole transaction
// back. It may run more than once for the same changes when the
// transaction is retried; only the last run commits.
type JobsFunc func(ctx context.Context, tx pgx.Tx, changes []Change) error

// Pool returns the store's connection pool, for River's client
// (riverpgxv5.New(pool)). It must not be used after Close.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// enqueue runs the jobs hook, if any, for the transaction's changes.
func (w *writeTx) enqueue(changes []Change) error {
	if w.store.jobs == nil || len(changes) == 0 {
		return nil
	}
	if err := w.store.jobs(w.ctx, w.tx, changes); err != nil {
		return fmt.Errorf("postgres: enqueue jobs for %d changes: %w", len(changes), err)
	}
	return nil
}
