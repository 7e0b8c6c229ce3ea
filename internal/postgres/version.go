package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/migration"
)

// versionColumns are the columns of versions in the order scanVersion reads
// them.
const versionColumns = migration.VersionColumns

// FindVersions returns the versions of one order, oldest first, or
// ENOTFOUND when the order does not exist.
func (s *Store) FindVersions(ctx context.Context, orderID string) (_ []eligo.Version, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	rows, err := s.pool.Query(ctx, `SELECT `+versionColumns+` FROM versions
		WHERE item_type = $1 AND item_id = $2 ORDER BY id`, eligo.ItemTypeOrder, orderID)
	vs, err := eligo.CollectRows(rows, err, "postgres: find versions", scanVersion)
	if err != nil {
		return nil, err
	}
	return eligo.OrderVersions(orderID, vs, func() (bool, error) {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orders WHERE id = $1)`, orderID).Scan(&exists); err != nil {
			return false, fmt.Errorf("postgres: find versions: %w", err)
		}
		return exists, nil
	})
}

// FindVersion returns one version record, or ENOTFOUND.
func (s *Store) FindVersion(ctx context.Context, id int64) (_ eligo.Version, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionColumns+` FROM versions WHERE id = $1`, id))
	return eligo.FoundRow(v, err, pgx.ErrNoRows, "postgres: find version", func() error { return eligo.VersionNotFound(id) })
}

// ListChanges returns up to limit committed changes with a version id above
// afterID, by version id (the primary key's index).
func (s *Store) ListChanges(ctx context.Context, afterID int64, limit int) (_ []eligo.CommittedChange, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListChanges(limit, "postgres: list changes", func() (eligo.Rows, error) {
		return s.pool.Query(ctx, `SELECT id, item_id, order_version FROM versions
			WHERE id > $1 AND item_type = $2 ORDER BY id LIMIT $3`, afterID, eligo.ItemTypeOrder, limit)
	})
}
