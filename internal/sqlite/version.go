package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eligo/eligo"
)

// insertVersion records the change from before to after (before nil for a
// create) and returns the version id.
func (w *writeTx) insertVersion(before, after *eligo.Order, who, eventID string) (int64, error) {
	event := eligo.VersionUpdate
	if before == nil {
		event = eligo.VersionCreate
	}
	changes, err := eligo.MarshalChanges(eligo.Changes(before, after))
	if err != nil {
		return 0, fmt.Errorf("sqlite: encode object changes: %w", err)
	}
	var evID any
	if eventID != "" {
		evID = eventID
	}
	res, err := w.stmts.insertVersion.ExecContext(w.ctx, eligo.ItemTypeOrder, after.ID, event, who,
		string(changes), evID, after.Version, w.now.UnixNano(), w.store.host, w.store.build)
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert version: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert version: %w", err)
	}
	return id, nil
}

// FindVersions returns the versions of one order, oldest first, or
// ENOTFOUND when the order does not exist.
func (s *Store) FindVersions(ctx context.Context, orderID string) ([]eligo.Version, error) {
	rows, err := s.rs.findVersions.QueryContext(ctx, eligo.ItemTypeOrder, orderID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find versions: %w", err)
	}
	defer rows.Close()
	var vs []eligo.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find versions: %w", err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find versions: %w", err)
	}
	if len(vs) > 0 {
		return vs, nil
	}
	// Every order has its create version, so no versions almost always means
	// no order; ask to be sure.
	var n int
	if err := s.rs.orderExists.QueryRowContext(ctx, orderID).Scan(&n); err != nil {
		return nil, fmt.Errorf("sqlite: find versions: %w", err)
	}
	if n == 0 {
		return nil, orderNotFound(orderID)
	}
	return []eligo.Version{}, nil
}

// FindVersion returns one version record, or ENOTFOUND.
func (s *Store) FindVersion(ctx context.Context, id int64) (eligo.Version, error) {
	v, err := scanVersion(s.rs.findVersion.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return eligo.Version{}, versionNotFound(id)
	} else if err != nil {
		return eligo.Version{}, fmt.Errorf("sqlite: find version: %w", err)
	}
	return v, nil
}

// scanVersion reads one row of versionColumns.
func scanVersion(row scanner) (eligo.Version, error) {
	var (
		v       eligo.Version
		changes []byte
		eventID sql.NullString
		created sql.NullInt64
	)
	err := row.Scan(&v.ID, &v.ItemType, &v.ItemID, &v.Event, &v.Whodunnit, &changes,
		&eventID, &v.OrderVersion, &created, &v.Host, &v.Build)
	if err != nil {
		return eligo.Version{}, err
	}
	if v.ObjectChanges, err = eligo.UnmarshalChanges(changes); err != nil {
		return eligo.Version{}, fmt.Errorf("version %d: %w", v.ID, err)
	}
	v.EventID, v.CreatedAt = eventID.String, fromNanos(created)
	return v, nil
}
