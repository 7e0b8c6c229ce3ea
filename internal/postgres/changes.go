package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/eligo/eligo"
)

// ListChanges returns up to limit committed changes with a version id above
// afterID, by version id (the primary key's index).
func (s *Store) ListChanges(ctx context.Context, afterID int64, limit int) ([]eligo.CommittedChange, error) {
	if limit < 1 {
		return nil, eligo.Errorf(eligo.EINVALID, "list changes: limit must be at least 1")
	}
	rows, err := s.pool.Query(ctx, `SELECT id, item_id, order_version FROM versions
		WHERE id > $1 AND item_type = $2 ORDER BY id LIMIT $3`, afterID, eligo.ItemTypeOrder, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list changes: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (eligo.CommittedChange, error) {
		var c eligo.CommittedChange
		err := row.Scan(&c.VersionID, &c.OrderID, &c.OrderVersion)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list changes: %w", err)
	}
	return cs, nil
}
