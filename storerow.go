package eligo

import (
	"errors"
	"fmt"
	"time"
)

// What both stores do with a row once their driver has read it: the
// columns of orders and versions (internal/migration names them), the
// statuses parsed back, a missing row made ENOTFOUND. A store differs only
// in how its driver holds a time column; it passes that in.

// RowScanner is one row of a query's result, as both drivers give it
// (*sql.Row and *sql.Rows; pgx.Row and pgx.Rows).
type RowScanner interface {
	Scan(dest ...any) error
}

// Rows is a query's result, as both drivers give it (*sql.Rows; pgx.Rows).
// Both close it once Next has returned false.
type Rows interface {
	RowScanner
	Next() bool
	Err() error
}

// CollectRows reads every row of a query's result with scan, and returns
// them (an empty slice when there are none). queryErr is the query's own
// error; it, or the first failure reading rows, comes back wrapped as
// "what: err". rows is read to its end after a failed scan too, so that the
// driver closes it: the caller need not.
func CollectRows[T any](rows Rows, queryErr error, what string, scan func(RowScanner) (T, error)) ([]T, error) {
	if queryErr != nil {
		return nil, fmt.Errorf("%s: %w", what, queryErr)
	}
	ts := []T{}
	var scanErr error
	for rows.Next() {
		if scanErr != nil {
			continue
		}
		t, err := scan(rows)
		if err != nil {
			scanErr = err
			continue
		}
		ts = append(ts, t)
	}
	if err := errors.Join(scanErr, rows.Err()); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ts, nil
}

// StoreListOrders answers OrderStore.ListOrders for a store: p is checked
// first (a limit below 1 is EINVALID, and query does not run), then the
// rows of the store's query, of the order columns, are read with scan.
// what prefixes the errors.
func StoreListOrders(p *ListOrdersParams, what string, scan func(RowScanner) (Order, error), query func() (Rows, error)) ([]Order, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rows, err := query()
	return CollectRows(rows, err, what, scan)
}

// StoreListChanges answers OrderStore.ListChanges for a store: limit is
// checked first (see ValidateChangesLimit; query does not run), then the
// rows of the store's query, of id, item_id and order_version, are read.
// what prefixes the errors.
func StoreListChanges(limit int, what string, query func() (Rows, error)) ([]CommittedChange, error) {
	if err := ValidateChangesLimit(limit); err != nil {
		return nil, err
	}
	rows, err := query()
	return CollectRows(rows, err, what, ScanChange)
}

// FoundRow is the answer of a store's lookup of one row by key: v when
// err is nil; notFound() when err is the driver's no-rows error (noRows:
// sql.ErrNoRows, pgx.ErrNoRows), so that it never leaves the store; any
// other err wrapped as "what: err", an internal error.
func FoundRow[T any](v T, err, noRows error, what string, notFound func() error) (T, error) {
	var zero T
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, noRows):
		return zero, notFound()
	default:
		return zero, fmt.Errorf("%s: %w", what, err)
	}
}

// ScanOrder reads one row of the order columns, and into extra the columns
// that follow them. T is how the store's driver holds a time column; it is
// read through a *T, nil for NULL, and toTime makes it a UTC time (nil: the
// zero time). A stored status that does not parse is an internal error, not
// the EINVALID of parsing user input.
func ScanOrder[T any](row RowScanner, toTime func(*T) time.Time, extra ...any) (Order, error) {
	var (
		o                                  Order
		status, payment                    string
		driver                             *string
		placed, promised, timeout, updated *T
	)
	dest := append([]any{&o.ID, &o.CustomerID, &status, &driver, &payment,
		&placed, &promised, &timeout, &o.Version, &updated}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		return Order{}, err
	}
	if o.Status, err = ParseStatus(status); err != nil {
		return Order{}, fmt.Errorf("order %s: stored status %q is unknown", o.ID, status)
	}
	if driver != nil {
		if o.DriverStatus, err = ParseDriverStatus(*driver); err != nil {
			return Order{}, fmt.Errorf("order %s: stored driver status %q is unknown", o.ID, *driver)
		}
	}
	if o.PaymentStatus, err = ParsePaymentStatus(payment); err != nil {
		return Order{}, fmt.Errorf("order %s: stored payment status %q is unknown", o.ID, payment)
	}
	o.PlacedAt, o.PromisedAt = toTime(placed), toTime(promised)
	o.PaymentTimeoutAt, o.UpdatedAt = toTime(timeout), toTime(updated)
	return o, nil
}

// OrderScanner returns ScanOrder with toTime, for a store's row reads.
func OrderScanner[T any](toTime func(*T) time.Time) func(RowScanner) (Order, error) {
	return func(row RowScanner) (Order, error) { return ScanOrder(row, toTime) }
}

// VersionScanner returns ScanVersion with toTime, for a store's row reads.
func VersionScanner[T any](toTime func(*T) time.Time) func(RowScanner) (Version, error) {
	return func(row RowScanner) (Version, error) { return ScanVersion(row, toTime) }
}

// ScanVersion reads one row of the version columns; T and toTime are as
// for ScanOrder.
func ScanVersion[T any](row RowScanner, toTime func(*T) time.Time) (Version, error) {
	var (
		v                 Version
		changes           []byte
		eventID           *string
		created, occurred *T
	)
	err := row.Scan(&v.ID, &v.ItemType, &v.ItemID, &v.Event, &v.Whodunnit, &changes,
		&eventID, &v.OrderVersion, &created, &v.Host, &v.Build, &occurred)
	if err != nil {
		return Version{}, err
	}
	if err := v.DecodeChanges(changes); err != nil {
		return Version{}, err
	}
	if eventID != nil {
		v.EventID = *eventID
	}
	v.CreatedAt, v.OccurredAt = toTime(created), toTime(occurred)
	return v, nil
}

// ScanChange reads one row of id, item_id and order_version of versions,
// as OrderStore.ListChanges lists it.
func ScanChange(row RowScanner) (CommittedChange, error) {
	var c CommittedChange
	err := row.Scan(&c.VersionID, &c.OrderID, &c.OrderVersion)
	return c, err
}
