package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/eligo/eligo"
)

// insertVersion records the change from before to after (before nil for a
// create), written by the update u (nil for a create: see
// eligo.NewVersionRow), caused by the event eventID that occurred at
// occurred (both zero for none), and returns the version id. The change
// joins the ones the jobs hook gets at commit.
func (w *writeTx) insertVersion(before, after *eligo.Order, u *eligo.Update, who, eventID string, occurred time.Time) (int64, error) {
	row, err := eligo.NewVersionRow(before, after, u)
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
	res, err := w.stmts.insertVersion.ExecContext(w.ctx, eligo.ItemTypeOrder, after.ID, row.Event, who,
		string(row.Changes), evID, after.Version, w.now.UnixNano(), w.store.set.Host, w.store.set.Build, occ,
		row.Action, row.PolicyVersion, row.Params)
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert version: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: insert version: %w", err)
	}
	w.changes = append(w.changes, eligo.Change{Order: *after, VersionID: id, Event: row.Event})
	return id, nil
}

// FindVersions returns the versions of one order, oldest first, or
// ENOTFOUND when the order does not exist.
func (s *Store) FindVersions(ctx context.Context, orderID string) (_ []eligo.Version, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	rows, err := s.rs.findVersions.QueryContext(ctx, eligo.ItemTypeOrder, orderID)
	vs, err := eligo.CollectRows(rows, err, "sqlite: find versions", scanVersion)
	if err != nil {
		return nil, err
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
	return eligo.FoundRow(v, err, sql.ErrNoRows, "sqlite: find version", func() error { return eligo.VersionNotFound(id) })
}

// ListChanges returns up to limit committed changes with a version id above
// afterID, by version id. The embedded family needs no repair (its read
// model is rebuilt at start); it lists them all the same.
func (s *Store) ListChanges(ctx context.Context, afterID int64, limit int) (_ []eligo.CommittedChange, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	return eligo.StoreListChanges(limit, "sqlite: list changes", func() (eligo.Rows, error) {
		return s.rs.listChanges.QueryContext(ctx, afterID, eligo.ItemTypeOrder, limit)
	})
}
