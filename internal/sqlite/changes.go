package sqlite

import (
	"context"
	"fmt"

	"github.com/eligo/eligo"
)

// ListChanges returns up to limit committed changes with a version id above
// afterID, by version id. The embedded family needs no repair (its read
// model is rebuilt at start); it lists them all the same.
func (s *Store) ListChanges(ctx context.Context, afterID int64, limit int) ([]eligo.CommittedChange, error) {
	if limit < 1 {
		return nil, eligo.Errorf(eligo.EINVALID, "list changes: limit must be at least 1")
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id, item_id, order_version FROM versions
		WHERE id > ? AND item_type = ? ORDER BY id LIMIT ?`, afterID, eligo.ItemTypeOrder, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list changes: %w", err)
	}
	defer rows.Close()
	var cs []eligo.CommittedChange
	for rows.Next() {
		var c eligo.CommittedChange
		if err := rows.Scan(&c.VersionID, &c.OrderID, &c.OrderVersion); err != nil {
			return nil, fmt.Errorf("sqlite: list changes: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list changes: %w", err)
	}
	return cs, nil
}
