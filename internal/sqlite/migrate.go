package sqlite

import (
	"context"
	"embed"
	"fmt"

	"github.com/eligo/eligo/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]migration.File, error) {
	ms, err := migration.List(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// migrate applies the migrations that schema_migrations does not list, each
// in its own BEGIN IMMEDIATE transaction, so that two processes opening the
// same new file apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`
	if _, err := s.writer.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		applied, err := s.applyMigration(ctx, &m)
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
		if applied {
			s.set.Logger.InfoContext(ctx, "sqlite: applied migration", "version", m.Version, "name", m.Name)
		}
	}
	return nil
}

// applyMigration applies m unless it was applied before, and reports
// whether it did.
func (s *Store) applyMigration(ctx context.Context, m *migration.File) (bool, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n)
	if err != nil || n > 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, s.set.Now().UnixNano())
	if err != nil {
		return false, err
	}
	return true, tx.Commit()
}
