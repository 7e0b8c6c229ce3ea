package postgres

import (
	"context"
	"fmt"
	"time"

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

// jobQueueQuery counts River's waiting and running jobs by kind and state,
// with the seconds since the earliest scheduled_at of each group; the
// state leads River's fetching index, so the finished jobs are not read.
const jobQueueQuery = `SELECT kind, state::text, count(*), extract(epoch FROM now() - min(scheduled_at))::float8
FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY kind, state`

// JobQueue reads River's queue from river_job (eligo.JobQueue), with the
// database's clock for the lateness. River's tables are in the schema the
// pool's search_path names, where River's client finds them.
func (s *Store) JobQueue(ctx context.Context) (q eligo.JobQueue, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	rows, err := s.pool.Query(ctx, jobQueueQuery)
	if err != nil {
		return nil, fmt.Errorf("postgres: job queue: %w", err)
	}
	defer rows.Close()
	q = eligo.JobQueue{}
	for rows.Next() {
		var kind, state string
		var n int
		var late float64
		if err := rows.Scan(&kind, &state, &n, &late); err != nil {
			return nil, fmt.Errorf("postgres: job queue: %w", err)
		}
		k := q[kind]
		k.Add(state, n, time.Duration(late*float64(time.Second)))
		q[kind] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: job queue: %w", err)
	}
	return q, nil
}
