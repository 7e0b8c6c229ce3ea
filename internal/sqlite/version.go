package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/eligo/eligo"
)

// insertVersion records the change from before to after (before nil for a
// create), caused by the event eventID that occurred at occurred (both zero
// for none), and returns the version id. The change joins the ones the
// jobs hook gets at commit.
func (w *writeTx) insertVersion(before, after *eligo.Order, who, eventID string, occurred time.Time) (int64, error) {
	event, changes, err := eligo.VersionRecord(before, after)
	if err != nil {
		return 0, fmt.Errorf("sqlite: encode object changes: %w", err)
	}
	var evID any
	if eventID != "" {
		evID = eventID
	}
	occ, err := nanos("occurred_at", occurred)
	if err != nil {
		return 0, err
	}
	res, err := w.stmts.insertVersion.ExecContext(w.ctx, eligo.ItemTypeOrder, after.ID, event, who,
		string(changes), evID, after.Version, w.now.UnixNano(), w.store.set.Host, w.store.set.Build, occ)
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert version: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert version: %w", err)
	}
	w.changes = append(w.changes, eligo.Change{Order: *after, VersionID: id})
	return id, nil
}

// FindVersions returns the versions of one order, oldest first, or
// ENOTFOUND when the order does not exist.
func (s *Store) FindVersions(ctx context.Context, orderID string) (_ []eligo.Version, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
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
	return eligo.OrderVersions(orderID, vs, func() (bool, error) {
		var n int
		if err := s.rs.orderExists.QueryRowContext(ctx, orderID).Scan(&n); err != nil {
			return false, fmt.Errorf("sqlite: find versions: %w", err)
		}
		return n > 0, nil
	})
}

// FindVersion returns one version record, or ENOTFOUND.
func (s *Store) FindVersion(ctx context.Context, id int64) (_ eligo.Version, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
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
		v                 eligo.Version
		changes           []byte
		eventID           sql.NullString
		created, occurred sql.NullInt64
	)
	err := row.Scan(&v.ID, &v.ItemType, &v.ItemID, &v.Event, &v.Whodunnit, &changes,
		&eventID, &v.OrderVersion, &created, &v.Host, &v.Build, &occurred)
	if err != nil {
		return eligo.Version{}, err
	}
	if err := v.DecodeChanges(changes); err != nil {
		return eligo.Version{}, err
	}
	v.EventID, v.CreatedAt, v.OccurredAt = eventID.String, fromNanos(created), fromNanos(occurred)
	return v, nil
}
