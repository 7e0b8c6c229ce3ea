package policytest

import (
	"os"
	"slices"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/strictjson"
)

// Snapshot is an order as a test file (under "orders") or an order file
// of `eligo policy explain` writes it: what Decide reads, nothing more.
type Snapshot struct {
	// ID is the order's id; in a test file it defaults to the order's
	// name. Decide does not read it.
	ID               string            `json:"id"`
	PlacedAt         string            `json:"placed_at"`
	PromisedAt       string            `json:"promised_at"`
	Status           string            `json:"status"`         // default PLACED
	DriverStatus     string            `json:"driver_status"`  // default none
	PaymentStatus    string            `json:"payment_status"` // default PAID
	PaymentTimeoutAt string            `json:"payment_timeout_at"`
	Attributes       map[string]string `json:"attributes"`
	Deadlines        map[string]string `json:"deadlines"`
	Taken            []string          `json:"taken"`
}

// snapshotCustomer is the customer of every snapshot: Decide never reads
// it, and NewOrder needs one.
const snapshotCustomer = "policytest"

// Order returns the snapshot as an eligo.Order, checked by the rules every
// order is held to (eligo.NewOrder: timestamps in range, promised_at not
// before placed_at, attributes and deadlines within their limits), with
// the statuses and taken actions it names. where names it in errors
// ("orders.late"); the id defaults to defaultID.
func (s *Snapshot) Order(where, defaultID string) (eligo.Order, error) {
	id := s.ID
	if id == "" {
		id = defaultID
	}
	placed, err := requiredTime(where+".placed_at", s.PlacedAt)
	if err != nil {
		return eligo.Order{}, err
	}
	promised, err := requiredTime(where+".promised_at", s.PromisedAt)
	if err != nil {
		return eligo.Order{}, err
	}
	var timeout time.Time
	if s.PaymentTimeoutAt != "" {
		if timeout, err = strictjson.Timestamp(where+".payment_timeout_at", s.PaymentTimeoutAt); err != nil {
			return eligo.Order{}, err
		}
	}
	deadlines := make(map[string]time.Time, len(s.Deadlines))
	for name, v := range s.Deadlines {
		if deadlines[name], err = strictjson.Timestamp(where+".deadlines."+name, v); err != nil {
			return eligo.Order{}, err
		}
	}
	o, err := eligo.NewOrder(&eligo.NewOrderParams{
		ID:               id,
		CustomerID:       snapshotCustomer,
		PlacedAt:         placed,
		PromisedAt:       promised,
		PaymentTimeoutAt: timeout,
		Attributes:       s.Attributes,
		Deadlines:        deadlines,
	}, placed)
	if err != nil {
		return eligo.Order{}, eligo.Errorf(eligo.EINVALID, "%s: %s", where, eligo.ErrorMessage(err))
	}
	o.PaymentStatus = eligo.PaymentPaid
	if s.Status != "" {
		if o.Status, err = eligo.ParseStatus(s.Status); err != nil {
			return eligo.Order{}, eligo.Errorf(eligo.EINVALID, "%s.status: %s", where, eligo.ErrorMessage(err))
		}
	}
	if s.DriverStatus != "" {
		if o.DriverStatus, err = eligo.ParseDriverStatus(s.DriverStatus); err != nil {
			return eligo.Order{}, eligo.Errorf(eligo.EINVALID, "%s.driver_status: %s", where, eligo.ErrorMessage(err))
		}
	}
	if s.PaymentStatus != "" {
		if o.PaymentStatus, err = eligo.ParsePaymentStatus(s.PaymentStatus); err != nil {
			return eligo.Order{}, eligo.Errorf(eligo.EINVALID, "%s.payment_status: %s", where, eligo.ErrorMessage(err))
		}
	}
	for i, a := range s.Taken {
		if a == "" {
			return eligo.Order{}, eligo.Errorf(eligo.EINVALID, "%s.taken[%d] is empty; expected an action's name", where, i)
		}
	}
	if len(s.Taken) > 0 {
		o.Taken = slices.Compact(slices.Sorted(slices.Values(s.Taken)))
	}
	return o, nil
}

func requiredTime(where, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, eligo.Errorf(eligo.EINVALID, "%s is required; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z", where)
	}
	return strictjson.Timestamp(where, v)
}

// LoadOrder reads an order file (JSON, or YAML for .yaml and .yml) in the
// snapshot shape, as `eligo policy explain --order` takes it.
func LoadOrder(path string) (eligo.Order, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return eligo.Order{}, eligo.Errorf(eligo.EINVALID, "cannot read the order file: %v", err)
	}
	var s Snapshot
	if err := decodeStrict(path, data, &s); err != nil {
		return eligo.Order{}, err
	}
	o, err := s.Order("order", "order")
	if err != nil {
		return eligo.Order{}, eligo.Errorf(eligo.EINVALID, "%s: %s", path, eligo.ErrorMessage(err))
	}
	return o, nil
}
