package eligo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// Version events.
const (
	VersionCreate = "create"
	VersionUpdate = "update"
	VersionAction = "action" // a policy action taken (TakeAction), cancel included
)

// Whodunnit values for changes not made by a customer.
const (
	WhoService = "service"
	WhoSystem  = "system"
)

// WhoCustomer returns the whodunnit of a change made by a customer.
func WhoCustomer(customerID string) string { return "customer:" + customerID }

// Version is the record of one change to an order, in the shape of a
// PaperTrail version: enough to know what changed, who did it, when, where
// and with which build.
type Version struct {
	ID            int64 // global, increasing
	ItemType      string
	ItemID        string
	Event         string // VersionCreate, VersionUpdate or VersionAction
	Whodunnit     string
	ObjectChanges map[string][2]any // field -> [old, new]; old is nil on create
	EventID       string            // the event that caused it, if any
	OccurredAt    time.Time         // when that event happened; zero for a change no event caused
	CreatedAt     time.Time
	Host          string
	Build         string
	OrderVersion  int64 // the order's version after this change
	// Of a VersionAction: the action taken, the policy version it was
	// decided under (Policy.VersionString) and the caller's params, passed
	// through (a JSON object, nil when none).
	Action        string
	PolicyVersion string
	Params        json.RawMessage
}

// ItemTypeOrder is the ItemType of order versions.
const ItemTypeOrder = "Order"

// Fields returns the order's fields as they appear in JSON and in
// ObjectChanges: names in snake_case, timestamps in RFC 3339 with
// nanoseconds, statuses by name, a missing driver status or timeout as nil.
func (o *Order) Fields() map[string]any {
	return map[string]any{
		"id":                 o.ID,
		"customer_id":        o.CustomerID,
		"status":             o.Status.String(),
		"driver_status":      nilIfEmpty(o.DriverStatus.String()),
		"payment_status":     o.PaymentStatus.String(),
		"placed_at":          formatTime(o.PlacedAt),
		"promised_at":        formatTime(o.PromisedAt),
		"payment_timeout_at": formatTime(o.PaymentTimeoutAt),
		"version":            o.Version,
		"updated_at":         formatTime(o.UpdatedAt),
		"attributes":         attributeFields(o.Attributes),
		"deadlines":          deadlineFields(o.Deadlines),
		"taken":              takenFields(o.Taken),
	}
}

// attributeFields, deadlineFields and takenFields are the JSON forms of an
// order's attributes, deadlines and taken actions in Fields: what
// UnmarshalChanges reads back, nil when there are none.
func attributeFields(attrs []Attribute) any {
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]any, len(attrs))
	for _, a := range attrs {
		m[a.Key] = a.Value
	}
	return m
}

func deadlineFields(ds []Deadline) any {
	if len(ds) == 0 {
		return nil
	}
	m := make(map[string]any, len(ds))
	for _, d := range ds {
		m[d.Name] = formatTime(d.At)
	}
	return m
}

func takenFields(taken []string) any {
	if len(taken) == 0 {
		return nil
	}
	l := make([]any, len(taken))
	for i, a := range taken {
		l[i] = a
	}
	return l
}

// Changes returns the fields that differ between before and after as
// {field: [old, new]}. A zero before (no ID) means a create: every field of
// after that is set appears with old nil.
func Changes(before, after *Order) map[string][2]any {
	nf := after.Fields()
	out := make(map[string][2]any, len(nf))
	if before == nil || before.ID == "" {
		for k, v := range nf {
			if v != nil {
				out[k] = [2]any{nil, v}
			}
		}
		return out
	}
	of := before.Fields()
	for k, v := range nf {
		if !reflect.DeepEqual(of[k], v) {
			out[k] = [2]any{of[k], v}
		}
	}
	return out
}

// SameState reports whether a and b are the same order in every field but
// Version and UpdatedAt, so writing b over a would change nothing.
func SameState(a, b *Order) bool {
	return a.ID == b.ID && a.CustomerID == b.CustomerID &&
		a.Status == b.Status && a.DriverStatus == b.DriverStatus && a.PaymentStatus == b.PaymentStatus &&
		a.PlacedAt.Equal(b.PlacedAt) && a.PromisedAt.Equal(b.PromisedAt) && a.PaymentTimeoutAt.Equal(b.PaymentTimeoutAt) &&
		sameAttributes(a.Attributes, b.Attributes) && sameDeadlines(a.Deadlines, b.Deadlines) && slices.Equal(a.Taken, b.Taken)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// MarshalChanges returns the stored form of Version.ObjectChanges: the JSON
// object {field: [old, new]} that the stores keep in object_changes.
func MarshalChanges(changes map[string][2]any) ([]byte, error) {
	return json.Marshal(changes)
}

// UnmarshalChanges decodes the stored form of Version.ObjectChanges (see
// MarshalChanges) so that it holds what Changes made: strings and nils as
// they were, and whole numbers (the version) as int64 rather than float64.
func UnmarshalChanges(data []byte) (map[string][2]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string][2]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode object changes: %w", err)
	}
	for k, pair := range m {
		for i, x := range pair {
			n, ok := x.(json.Number)
			if !ok {
				continue
			}
			if v, err := n.Int64(); err == nil {
				pair[i] = v
			} else if f, err := n.Float64(); err == nil {
				pair[i] = f
			} else {
				return nil, fmt.Errorf("decode object changes: %s: %w", k, err)
			}
		}
		m[k] = pair
	}
	return m, nil
}
