package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	if err != nil {
		return nil, fmt.Errorf("postgres: find versions: %w", err)
	}
	vs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (eligo.Version, error) { return scanVersion(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: find versions: %w", err)
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
	if errors.Is(err, pgx.ErrNoRows) {
		return eligo.Version{}, versionNotFound(id)
	} else if err != nil {
		return eligo.Version{}, fmt.Errorf("postgres: find version: %w", err)
	}
	return v, nil
}

// scanVersion reads one row of versionColumns.
func scanVersion(row pgx.Row) (eligo.Version, error) {
	var (
		v        eligo.Version
		changes  []byte
		eventID  pgtype.Text
		created  time.Time
		occurred pgtype.Timestamptz
	)
	err := row.Scan(&v.ID, &v.ItemType, &v.ItemID, &v.Event, &v.Whodunnit, &changes,
		&eventID, &v.OrderVersion, &created, &v.Host, &v.Build, &occurred)
	if err != nil {
		return eligo.Version{}, err
	}
	if err := v.DecodeChanges(changes); err != nil {
		return eligo.Version{}, err
	}
	v.EventID, v.CreatedAt = eventID.String, created.UTC()
	if occurred.Valid {
		v.OccurredAt = occurred.Time.UTC()
	}
	return v, nil
}
