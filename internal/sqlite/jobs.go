package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo"
)

// JobsFunc is the store's jobs hook (eligo.JobsHook) on a database/sql
// transaction: called once per write (CreateOrder, UpdateOrders) that
// applied a change, inside the write's savepoint in the group transaction
// (see groupCommit), before it commits, with every change of the write in
// input order; River's InsertManyTx on riversqlite takes tx.
// internal/jobs.Hook makes one.
type JobsFunc = eligo.JobsHook[*sql.Tx]

// DB returns the store's write pool: one connection whose transactions
// begin with BEGIN IMMEDIATE. River's client runs on it (riversqlite expects
// a pool of one connection), so River's writes and the store's queue for the
// same connection in this process instead of failing with SQLITE_BUSY, and
// jobs inserted in the store's transaction are visible to River the moment
// it commits. The pool must not be used after Close.
func (s *Store) DB() *sql.DB { return s.writer }

// enqueue runs the jobs hook, if any, with the changes of the write being
// run.
func (w *writeTx) enqueue() error {
	if w.store.jobs == nil || len(w.changes) == 0 {
		return nil
	}
	ctx := w.ctx
	if sc := trace.SpanContextFromContext(w.callerCtx); sc.IsValid() {
		// The group's deadline, the write's trace: the hook puts the
		// caller's traceparent in the metadata of the jobs it inserts.
		ctx = trace.ContextWithSpanContext(ctx, sc)
	}
	if err := w.store.jobs(ctx, w.tx, w.changes); err != nil {
		return fmt.Errorf("sqlite: enqueue jobs for %d changes: %w", len(w.changes), err)
	}
	return nil
}

// migrateRiver applies River's migrations (its river_* tables) in one
// BEGIN IMMEDIATE transaction, so two processes opening a new file apply
// them once.
func (s *Store) migrateRiver(ctx context.Context) error {
	m, err := rivermigrate.New(riversqlite.New(s.writer), &rivermigrate.Config{Logger: s.set.Logger})
	if err != nil {
		return fmt.Errorf("sqlite: river migrations: %w", err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: river migrations: %w", err)
	}
	defer tx.Rollback()
	res, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("sqlite: river migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: river migrations: %w", err)
	}
	for _, v := range res.Versions {
		s.set.Logger.InfoContext(ctx, "sqlite: applied river migration", "version", v.Version, "name", v.Name)
	}
	return nil
}

// jobQueueQuery counts River's waiting and running jobs by kind and state,
// with the seconds since the earliest scheduled_at of each group (River
// writes its times as UTC text, which julianday reads); the state leads
// River's fetching index, so the finished jobs are not read.
const jobQueueQuery = `SELECT kind, state, count(*), (julianday('now') - julianday(min(scheduled_at))) * 86400.0
FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY kind, state`

// JobQueue reads River's queue from river_job (eligo.JobQueue), on a read
// connection: it never waits for the writer.
func (s *Store) JobQueue(ctx context.Context) (q eligo.JobQueue, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	rows, err := s.reader.QueryContext(ctx, jobQueueQuery)
	if err != nil {
		return nil, fmt.Errorf("sqlite: job queue: %w", err)
	}
	defer rows.Close()
	q = eligo.JobQueue{}
	for rows.Next() {
		var kind, state string
		var n int
		var late sql.NullFloat64
		if err := rows.Scan(&kind, &state, &n, &late); err != nil {
			return nil, fmt.Errorf("sqlite: job queue: %w", err)
		}
		k := q[kind]
		k.Add(state, n, time.Duration(late.Float64*float64(time.Second)))
		q[kind] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: job queue: %w", err)
	}
	return q, nil
}
