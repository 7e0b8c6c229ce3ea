package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxAttempts bounds how often a write transaction is tried when it fails
// for a retryable reason.
const maxAttempts = 5

// writeTx is one write transaction and the clock reading it decides with.
// River jobs (internal/jobs) are to be inserted through tx, so that they
// commit with the change that caused them.
type writeTx struct {
	ctx   context.Context
	store *Store
	tx    pgx.Tx
	now   time.Time
}

// inWriteTx runs fn in a new transaction and commits it. A transaction that
// fails for a retryable reason (see retryable) is rolled back and fn runs
// again in a new one, up to maxAttempts times; fn must therefore keep its
// results only from its last run. One that failed before its commit on a
// broken connection (see brokenConn) runs again once, on a new connection:
// the others in the pool are closed first, since what broke one (a
// restarted server, a proxy or a network that cut them) broke them all.
func (s *Store) inWriteTx(ctx context.Context, fn func(w *writeTx) error) error {
	reconnected := false
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, fn)
		if err == nil || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
		var atCommit *commitError
		switch {
		case retryable(err):
		case !reconnected && !errors.As(err, &atCommit) && brokenConn(err):
			// Nothing committed: the server rolls back what a broken
			// connection left. A commit that broke may have committed,
			// even one that pgconn says sent nothing (the test saw one),
			// and is the caller's to resend.
			reconnected = true
			s.pool.Reset()
		default:
			return err
		}
		s.set.Logger.DebugContext(ctx, "postgres: retrying a write transaction", "attempt", attempt, "err", err)
		backoff := time.Duration(attempt) * time.Millisecond
		select {
		case <-time.After(backoff + rand.N(backoff)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// commitError is the failure of a commit: it may have committed.
type commitError struct{ err error }

func (e *commitError) Error() string { return "postgres: commit: " + e.err.Error() }
func (e *commitError) Unwrap() error { return e.err }

// writeTxOptions begin every write transaction. Every statement of a write
// finds its rows by primary or unique key. The batch statements take arrays
// of thousands of keys against tables that start empty and grow by
// thousands of rows a second: a plan cached while a table was small (a
// sequential scan, cheap then) stays in use as the table grows, until the
// next ANALYZE, slower with every row; measured under CPU starvation, with
// autovacuum late, a batch went from 0.1 s to over a second and ingest fell
// to a tenth. Ruling out sequential scans keeps the key lookups whatever
// the statistics say, for the write transactions only, in the same round
// trip as BEGIN.
var writeTxOptions = pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL enable_seqscan = off"}

func (s *Store) writeOnce(ctx context.Context, fn func(w *writeTx) error) error {
	tx, err := s.pool.BeginTx(ctx, writeTxOptions)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer s.rollback(ctx, tx)
	w := &writeTx{ctx: ctx, store: s, tx: tx, now: s.clock()}
	if err := fn(w); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return &commitError{err}
	}
	return nil
}

// rollback ends tx unless it was committed (a no-op then), even when ctx is
// done, but within the store's timeout: a connection that stopped answering
// must not hold the caller.
func (s *Store) rollback(ctx context.Context, tx pgx.Tx) {
	ctx = context.WithoutCancel(ctx)
	if s.set.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.set.Timeout)
		defer cancel()
	}
	_ = tx.Rollback(ctx)
}
