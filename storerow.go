package eligo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
// zero time). A stored status, or a stored JSON column (see
// OrderJSONColumns), that does not parse is an internal error, not the
// EINVALID of parsing user input.
func ScanOrder[T any](row RowScanner, toTime func(*T) time.Time, extra ...any) (Order, error) {
	var (
		o                                  Order
		status, payment                    string
		driver                             *string
		placed, promised, timeout, updated *T
		attributes, deadlines, taken       *string
	)
	dest := append([]any{&o.ID, &o.CustomerID, &status, &driver, &payment,
		&placed, &promised, &timeout, &o.Version, &updated, &attributes, &deadlines, &taken}, extra...)
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
	if err := o.decodeJSONColumns(attributes, deadlines, taken); err != nil {
		return Order{}, err
	}
	return o, nil
}

// OrderJSONColumns returns the attributes, deadlines and taken columns of
// o as both stores keep them: the JSON of the order's fields (Fields), an
// object of strings, an object of RFC 3339 instants and an array of action
// names, or nil (NULL) for each the order holds none of. A row written
// before the columns existed holds NULL in all three, and reads back with
// none.
func OrderJSONColumns(o *Order) (attributes, deadlines, taken *string) {
	return jsonColumn(attributeFields(o.Attributes)), jsonColumn(deadlineFields(o.Deadlines)), jsonColumn(takenFields(o.Taken))
}

// jsonColumn encodes the value of a JSON column, nil for a nil field.
func jsonColumn(field any) *string {
	if field == nil {
		return nil
	}
	b, err := json.Marshal(field)
	if err != nil {
		// Fields hold strings, maps and slices of strings only.
		panic(fmt.Sprintf("eligo: encode a JSON column: %v", err))
	}
	s := string(b)
	return &s
}

// decodeJSONColumns sets o's attributes, deadlines and taken actions from
// their columns (see OrderJSONColumns), sorted as an order holds them.
func (o *Order) decodeJSONColumns(attributes, deadlines, taken *string) error {
	if attributes != nil {
		var m map[string]string
		if err := json.Unmarshal([]byte(*attributes), &m); err != nil {
			return fmt.Errorf("order %s: stored attributes do not decode: %w", o.ID, err)
		}
		for k, v := range m {
			o.Attributes = append(o.Attributes, Attribute{Key: k, Value: v})
		}
		slices.SortFunc(o.Attributes, func(a, b Attribute) int { return strings.Compare(a.Key, b.Key) })
	}
	if deadlines != nil {
		var m map[string]string
		if err := json.Unmarshal([]byte(*deadlines), &m); err != nil {
			return fmt.Errorf("order %s: stored deadlines do not decode: %w", o.ID, err)
		}
		for name, at := range m {
			t, err := time.Parse(time.RFC3339Nano, at)
			if err != nil {
				return fmt.Errorf("order %s: stored deadline %s: %w", o.ID, name, err)
			}
			o.Deadlines = append(o.Deadlines, Deadline{Name: name, At: t.UTC()})
		}
		slices.SortFunc(o.Deadlines, func(a, b Deadline) int { return strings.Compare(a.Name, b.Name) })
	}
	if taken != nil {
		if err := json.Unmarshal([]byte(*taken), &o.Taken); err != nil {
			return fmt.Errorf("order %s: stored taken actions do not decode: %w", o.ID, err)
		}
		slices.Sort(o.Taken)
	}
	// An empty object or array is none, as the order holds it.
	if len(o.Attributes) == 0 {
		o.Attributes = nil
	}
	if len(o.Deadlines) == 0 {
		o.Deadlines = nil
	}
	if len(o.Taken) == 0 {
		o.Taken = nil
	}
	return nil
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
		v                             Version
		changes                       []byte
		eventID                       *string
		created, occurred             *T
		action, policyVersion, params *string
	)
	err := row.Scan(&v.ID, &v.ItemType, &v.ItemID, &v.Event, &v.Whodunnit, &changes,
		&eventID, &v.OrderVersion, &created, &v.Host, &v.Build, &occurred,
		&action, &policyVersion, &params)
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
	if action != nil {
		v.Action = *action
	}
	if policyVersion != nil {
		v.PolicyVersion = *policyVersion
	}
	if params != nil {
		v.Params = json.RawMessage(*params)
	}
	return v, nil
}

// VersionRow is what a store writes of one version besides its ids,
// whodunnit and clocks: the event, the object changes in their stored
// form, and the columns of an action (nil: NULL).
type VersionRow struct {
	Event                         string
	Changes                       []byte
	Action, PolicyVersion, Params *string
}

// NewVersionRow returns the row of the version that records the change
// from before (nil: a create) to after, written by u (nil for a create):
// VersionRecord's event and object changes, and, for an update that took
// an action (u.Action), the event VersionAction with the action's columns
// (Update.ApplyAction).
func NewVersionRow(before, after *Order, u *Update) (VersionRow, error) {
	event, changes, err := VersionRecord(before, after)
	if err != nil {
		return VersionRow{}, err
	}
	v := Version{Event: event}
	if u != nil {
		u.ApplyAction(&v)
	}
	row := VersionRow{Event: v.Event, Changes: changes}
	row.Action, row.PolicyVersion, row.Params = VersionActionColumns(&v)
	return row, nil
}

// VersionActionColumns returns the action, policy_version and params
// columns of v: nil (NULL) for each that is empty, all three on a version
// that took no action.
func VersionActionColumns(v *Version) (action, policyVersion, params *string) {
	return textColumn(v.Action), textColumn(v.PolicyVersion), textColumn(string(v.Params))
}

func textColumn(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ScanStoredPolicy reads one row of the policy columns (see
// migration.PolicyColumns); T and toTime are as for ScanOrder.
func ScanStoredPolicy[T any](row RowScanner, toTime func(*T) time.Time) (StoredPolicy, error) {
	var (
		sp      StoredPolicy
		body    string
		created *T
	)
	if err := row.Scan(&sp.Seq, &sp.Hash, &body, &sp.Whodunnit, &sp.Host, &sp.Build, &created); err != nil {
		return StoredPolicy{}, err
	}
	sp.Body, sp.CreatedAt = []byte(body), toTime(created)
	return sp, nil
}

// StoredPolicyScanner returns ScanStoredPolicy with toTime, for a store's
// row reads.
func StoredPolicyScanner[T any](toTime func(*T) time.Time) func(RowScanner) (StoredPolicy, error) {
	return func(row RowScanner) (StoredPolicy, error) { return ScanStoredPolicy(row, toTime) }
}

// StoreListPolicies answers PolicyStore.ListPolicies for a store: p is
// checked first (query does not run when it is invalid), then the rows of
// the store's query, of the policy columns with a sequence number below
// before, newest first, up to p.Limit, are read with scan. before is
// p.BeforeSeq, or math.MaxInt64 for 0 (from the newest). what prefixes the
// errors.
func StoreListPolicies(p *ListPoliciesParams, what string, scan func(RowScanner) (StoredPolicy, error), query func(before int64) (Rows, error)) ([]StoredPolicy, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	before := p.BeforeSeq
	if before == 0 {
		before = math.MaxInt64
	}
	rows, err := query(before)
	return CollectRows(rows, err, what, scan)
}

// FoundPolicy is the answer of a store's read of the current policy (see
// FoundRow): ENOTFOUND when no policy was ever applied.
func FoundPolicy(sp StoredPolicy, err, noRows error, what string) (StoredPolicy, error) {
	return FoundRow(sp, err, noRows, what, func() error { return Errorf(ENOTFOUND, "no policy was applied") })
}

// ScanChange reads one row of id, item_id and order_version of versions,
// as OrderStore.ListChanges lists it.
func ScanChange(row RowScanner) (CommittedChange, error) {
	var c CommittedChange
	err := row.Scan(&c.VersionID, &c.OrderID, &c.OrderVersion)
	return c, err
}
