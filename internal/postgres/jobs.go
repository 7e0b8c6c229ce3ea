package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eligo/eligo"
)

// JobsFunc is the store's jobs hook (eligo.JobsHook) on a pgx
// transaction: called once per write transaction that applied a change,
// before it commits, with every change in input order, so a batch of a
// thousand events is one insert of jobs; River's InsertManyTx on riverpgxv5
// takes tx. internal/jobs.Hook makes one. It may run more than once for the
// same changes when the transaction is retried; only the last run commits.
type JobsFunc = eligo.JobsHook[pgx.Tx]

// Pool returns the store's connection pool, for River's client
// (riverpgxv5.New(pool)). It must not be used after Close.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// enqueue runs the jobs hook, if any, for the transaction's changes.
func (w *writeTx) enqueue(changes []eligo.Change) error {
	if w.store.jobs == nil || len(changes) == 0 {
		return nil
	}
	if err := w.store.jobs(w.ctx, w.tx, changes); err != nil {
		return fmt.Errorf("postgres: enqueue jobs for %d changes: %w", len(changes), err)
	}
	return nil
}
