package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eligo/eligo/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the pg_advisory_xact_lock key that serializes
// migrations across processes on one database.
const migrateLockKey int64 = 0x656c69676f6d6967 // "eligomig"

// migrations returns the embedded migrations in version order.
func migrations() ([]migration.File, error) {
	ms, err := migration.List(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// Migrate applies the migrations that schema_migrations does not list, in
// order, each in its own transaction that first takes an advisory lock, so
// that replicas migrating the same database at once apply each migration
// exactly once. It returns the names of the migrations it applied.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range ms {
		ok, err := s.applyMigration(ctx, &m)
		if err != nil {
			return applied, fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		if ok {
			applied = append(applied, m.Name)
			s.set.Logger.InfoContext(ctx, "postgres: applied migration", "version", m.Version, "name", m.Name)
		}
	}
	return applied, nil
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer     NOT NULL PRIMARY KEY,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL
)`

// The statements that lift the store's statement and lock timeouts, for a
// migration's transaction and for the session that holds the migration lock.
const (
	noTimeoutsLocal   = `SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0`
	noTimeoutsSession = `SET statement_timeout = 0; SET lock_timeout = 0`
)

// applyMigration applies m unless it was applied before, and reports
// whether it did.
func (s *Store) applyMigration(ctx context.Context, m *migration.File) (bool, error) {
	applied := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A migration, and the wait for another replica's, may take longer
		// than the store's timeout, which bounds the calls that serve.
		if _, err := tx.Exec(ctx, noTimeoutsLocal); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createSchemaMigrations); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil || n > 0 {
			return err
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, s.clock())
		applied = err == nil
		return err
	})
	return applied, err
}

// Pending returns the names of the embedded migrations that the database
// has not applied, oldest first; all of them for an empty database.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	done := map[int]bool{}
	rows, err := s.pool.Query(ctx, `SELECT version FROM schema_migrations`)
	if err == nil {
		var vs []int
		vs, err = pgx.CollectRows(rows, pgx.RowTo[int])
		for _, v := range vs {
			done[v] = true
		}
	}
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P01") { // undefined_table: nothing applied
		return nil, fmt.Errorf("postgres: read schema_migrations: %w", err)
	}
	var pending []string
	for _, m := range ms {
		if !done[m.Version] {
			pending = append(pending, m.Name)
		}
	}
	return pending, nil
}

// WithMigrationLock runs fn while holding the lock Migrate takes, for the
// migrations of components that keep their tables beside the store's
// (River's rivermigrate, which needs a transaction per migration), so that
// replicas starting together apply those once too. The lock is held by one
// connection of the pool for the duration; fn uses others.
func (s *Store) WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Release()
	// Waiting for another replica's migrations may take longer than the
	// store's timeout; the session's own settings come back after.
	if _, err := conn.Exec(ctx, noTimeoutsSession); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer func() {
		bg := context.WithoutCancel(ctx)
		if _, err := conn.Exec(bg, `SELECT pg_advisory_unlock($1)`, migrateLockKey); err != nil {
			// A connection must not go back to the pool holding the lock.
			_ = conn.Conn().Close(bg)
		} else if _, err := conn.Exec(bg, `RESET statement_timeout; RESET lock_timeout`); err != nil {
			_ = conn.Conn().Close(bg)
		}
	}()
	return fn(ctx)
}
