package eligo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// The outcome of one Update is decided here, once, for every store: a
// store looks up the order and the update's event id under the order's
// lock, calls DecideUpdate, and writes what the step says. The stores do
// SQL and nothing else.

// EventUpdate returns the Update that applies e to its order with
// ApplyEvent, with whodunnit who: the one place an event becomes an update.
// What the event said (order, type, status) and its occurred_at go with it,
// so the store can keep them with the event id and the version.
func EventUpdate(e *Event, who string) Update {
	return Update{
		OrderID:     e.OrderID,
		EventID:     e.EventID,
		EventType:   e.Type,
		EventStatus: e.Detail(),
		OccurredAt:  e.OccurredAt,
		Who:         who,
		Apply:       func(o Order, _ time.Time) (Order, error) { return ApplyEvent(o, e) },
	}
}

// ProcessedEvent is the record a store keeps of a processed event id: the
// order it was for and what it said.
type ProcessedEvent struct {
	OrderID    string
	Type       string    // the event type; "" for a change not caused by an event (an internal id)
	Status     string    // the status the event named
	OccurredAt time.Time // when the event happened; zero when not known
	// Known is false for an id recorded before the stores kept what an
	// event said: only its order is compared.
	Known bool
}

// Processed returns the record of u's event id.
func (u *Update) Processed() ProcessedEvent {
	return ProcessedEvent{OrderID: u.OrderID, Type: u.EventType, Status: u.EventStatus, OccurredAt: u.OccurredAt, Known: true}
}

// sameEvent reports whether u says what the recorded event said: the same
// order, type and status. occurred_at does not count: a resend may carry
// another one (a Kafka record's timestamp stands in for a missing one).
func (p *ProcessedEvent) sameEvent(u *Update) bool {
	return p.OrderID == u.OrderID && (!p.Known || p.Type == u.EventType && p.Status == u.EventStatus)
}

// UpdateStep is what a store does with one update, as DecideUpdate says.
type UpdateStep struct {
	// Result is the update's result; the store sets Result.VersionID when
	// it writes the version.
	Result UpdateResult
	// Write says Result.Order is the order's next version: the store writes
	// the row over the stored one, a version record from the stored order to
	// it (with the update's EventID and OccurredAt), and records the event id.
	Write bool
	// Record says the store records the update's event id as processed,
	// with u.Processed(), so that a resend is a duplicate.
	Record bool
}

// DecideUpdate decides one update against the stored order (nil when there
// is no such order) and the record of its event id (nil when the id was
// never processed, or the update has none), at the store's instant now:
//
//   - an event id processed before with the same order, type and status is
//     a duplicate, and changes nothing;
//   - an event id processed before for something else is rejected
//     (ECONFLICT): the id was used already;
//   - an unknown order is rejected with ENOTFOUND, its event id unrecorded;
//   - a nil Apply, an error from Apply, an Apply that changes the order's
//     id or leaves a time out of range is rejected, its event id unrecorded;
//   - an Apply that leaves the order's state as it was is stale, and its
//     event id is recorded so that a resend is a duplicate; but an action
//     (u.Action) is written all the same, unless it ends the order and
//     the order had ended already;
//   - otherwise the order gets the next version and updated_at now, and is
//     written with its version and its event id.
//
// A store calls it in input order, with the order as the batch's earlier
// updates left it and the event ids they recorded, so a batch decides as
// one update after another would.
func DecideUpdate(u *Update, stored *Order, seen *ProcessedEvent, now time.Time) UpdateStep {
	var old Order
	if stored != nil {
		old = *stored
	}
	if u.EventID != "" && seen != nil {
		if seen.sameEvent(u) {
			return UpdateStep{Result: UpdateResult{Outcome: OutcomeDuplicate, Order: old}}
		}
		return rejectUpdate(old, Errorf(ECONFLICT, "event id %q was already used for something else (%s); an event id names one event",
			u.EventID, seen.describe()))
	}
	if stored == nil {
		return rejectUpdate(old, OrderNotFound(u.OrderID))
	}
	if err := CheckTimeRange("occurred_at", u.OccurredAt); err != nil {
		return rejectUpdate(old, err)
	}
	if u.Apply == nil {
		return rejectUpdate(old, Errorf(EINVALID, "update of order %q has no Apply function", old.ID))
	}
	next, err := u.Apply(old, now)
	if err != nil {
		return rejectUpdate(old, err)
	}
	if next.ID != old.ID {
		return rejectUpdate(old, Errorf(EINVALID, "update of order %q changed its id to %q", old.ID, next.ID))
	}
	if err := checkOrderTimes(&next); err != nil {
		return rejectUpdate(old, err)
	}
	record := u.EventID != ""
	// An action is written even when it leaves the order's fields as they
	// were (a reschedule asks the scheduler, it changes nothing here),
	// except one that ends an order it ended already.
	if SameState(&old, &next) && (u.Action == nil || u.Action.EndsOrder) {
		return UpdateStep{Result: UpdateResult{Outcome: OutcomeStale, Order: old}, Record: record}
	}
	next.Version, next.UpdatedAt = old.Version+1, now
	return UpdateStep{Result: UpdateResult{Outcome: OutcomeApplied, Order: next}, Write: true, Record: record}
}

func rejectUpdate(o Order, err error) UpdateStep {
	return UpdateStep{Result: UpdateResult{Outcome: OutcomeRejected, Order: o, Err: err}}
}

// describe says what the recorded event was, for the error of a reused id.
func (p *ProcessedEvent) describe() string {
	switch {
	case !p.Known:
		return "order " + p.OrderID
	case p.Type == "":
		return "an internal change of order " + p.OrderID
	}
	return p.Type + " " + p.Status + " for order " + p.OrderID
}

// OrderNotFound is the ENOTFOUND error of an order id that no order has.
func OrderNotFound(id string) error {
	return Errorf(ENOTFOUND, "order %q does not exist", id)
}

// VersionNotFound is the ENOTFOUND error of a version id that no version
// has.
func VersionNotFound(id int64) error {
	return Errorf(ENOTFOUND, "version %d does not exist; it may be past retention (versions are kept for --retain-versions, those of an ended order for --retain-orders)", id)
}

// checkOrderTimes rejects an order that an update left without its required
// times or with one out of range.
func checkOrderTimes(o *Order) error {
	if o.PlacedAt.IsZero() || o.PromisedAt.IsZero() {
		return Errorf(EINVALID, "order %q needs placed_at and promised_at", o.ID)
	}
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"placed_at", o.PlacedAt}, {"promised_at", o.PromisedAt}, {"payment_timeout_at", o.PaymentTimeoutAt}} {
		if err := CheckTimeRange(f.name, f.t); err != nil {
			return err
		}
	}
	return nil
}

// DecideCreate decides a create of p against the order stored under its id
// (nil when there is none), at the store's instant now: the stored order,
// with create false, when it is what p would make (a retry without
// placed_at, sent after promised_at, is still the same order, so this comes
// before validation); ECONFLICT when it differs; otherwise version 1 of the
// new order (NewOrder), with create true, for the store to write with its
// create version.
func DecideCreate(p *NewOrderParams, existing *Order, now time.Time) (o Order, create bool, err error) {
	switch {
	case existing != nil && existing.SameCreation(p):
		return *existing, false, nil
	case existing != nil:
		return Order{}, false, Errorf(ECONFLICT,
			"order %q exists with different fields; an order id can be created once, with the same fields when repeated", p.ID)
	}
	o, err = NewOrder(p, now)
	if err != nil {
		return Order{}, false, err
	}
	return o, true, nil
}

// VersionRecord returns the event (VersionCreate when before is nil, else
// VersionUpdate) and the stored object changes (MarshalChanges) of the
// version that records the change from before to after. The version of an
// update that takes an action is a VersionAction instead (see
// Update.VersionEvent).
func VersionRecord(before, after *Order) (event string, changes []byte, err error) {
	event = VersionUpdate
	if before == nil {
		event = VersionCreate
	}
	changes, err = MarshalChanges(Changes(before, after))
	return event, changes, err
}

// VersionEvent returns the event of the version u writes: VersionAction
// for an action, else VersionUpdate.
func (u *Update) VersionEvent() string {
	if u.Action != nil {
		return VersionAction
	}
	return VersionUpdate
}

// ApplyAction sets the action fields of v (Action, PolicyVersion, Params)
// from the update that wrote it, for a store to persist.
func (u *Update) ApplyAction(v *Version) {
	if u.Action != nil {
		v.Event, v.Action, v.PolicyVersion, v.Params = VersionAction, u.Action.Name, u.Action.PolicyVersion, u.Action.Params
	}
}

// OrderVersions is what a store's FindVersions answers when it found vs for
// orderID: vs when there are some. Every order has its create version, so
// none almost always means no order: it asks exists to be sure, and answers
// ENOTFOUND, or an empty list for an order that has no versions.
func OrderVersions(orderID string, vs []Version, exists func() (bool, error)) ([]Version, error) {
	if len(vs) > 0 {
		return vs, nil
	}
	ok, err := exists()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, OrderNotFound(orderID)
	}
	return []Version{}, nil
}

// StoreSettings are the settings both stores take in their Config: the
// clock, the host and build recorded in every version, the logger, and the
// deadline of every call (see StoreCall).
type StoreSettings struct {
	Now     func() time.Time
	Host    string
	Build   string
	Logger  *slog.Logger
	Timeout time.Duration // zero means DefaultStoreTimeout; negative, none
}

// WithDefaults returns s with its unset fields defaulted: time.Now,
// Hostname, BuildVersion, a logger that discards and DefaultStoreTimeout.
func (s StoreSettings) WithDefaults() StoreSettings {
	if s.Timeout == 0 {
		s.Timeout = DefaultStoreTimeout
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Host == "" {
		s.Host = Hostname()
	}
	if s.Build == "" {
		s.Build = BuildVersion()
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// Validate checks the params of OrderStore.ListOrders: a limit below 1 is
// EINVALID.
func (p *ListOrdersParams) Validate() error {
	if p == nil || p.Limit < 1 {
		return Errorf(EINVALID, "list orders: limit must be at least 1")
	}
	return nil
}

// ValidateChangesLimit checks the limit of OrderStore.ListChanges: below 1
// is EINVALID.
func ValidateChangesLimit(limit int) error {
	if limit < 1 {
		return Errorf(EINVALID, "list changes: limit must be at least 1")
	}
	return nil
}

// DecodeChanges sets v.ObjectChanges from their stored form (see
// UnmarshalChanges).
func (v *Version) DecodeChanges(data []byte) error {
	changes, err := UnmarshalChanges(data)
	if err != nil {
		return fmt.Errorf("version %d: %w", v.ID, err)
	}
	v.ObjectChanges = changes
	return nil
}

// DefaultStoreTimeout bounds one store call when its Config says nothing:
// long enough for a batch of a thousand events, short enough that a caller
// hears "unavailable" before it gives up.
const DefaultStoreTimeout = 5 * time.Second

// StoreCall bounds one store call by timeout (none when timeout <= 0). The
// call runs on the returned context and ends with done(&err), which turns
// err into EUNAVAILABLE ("retry shortly") when the deadline ended the call
// (the caller's own context still live) or when unavailable(err) says the
// database refused for now (a lock or busy timeout, a connection that
// cannot be made); the cause stays wrapped for the logs.
func StoreCall(ctx context.Context, timeout time.Duration, unavailable func(error) bool) (context.Context, func(*error)) {
	if timeout <= 0 {
		return ctx, func(errp *error) {
			if *errp != nil && ctx.Err() == nil && unavailable(*errp) {
				*errp = storeUnavailable(*errp, "the store cannot answer now")
			}
		}
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	return callCtx, func(errp *error) {
		defer cancel()
		err := *errp
		switch {
		case err == nil || ctx.Err() != nil || ErrorCode(err) != EINTERNAL:
		case callCtx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
			// The second: a deadline derived from callCtx's (a group
			// commit's) fired before callCtx's own timer did.
			*errp = storeUnavailable(err, fmt.Sprintf("the store did not answer within %s", timeout))
		case unavailable(err):
			*errp = storeUnavailable(err, "the store cannot answer now")
		}
	}
}

func storeUnavailable(cause error, what string) error {
	return fmt.Errorf("%w: %w", Errorf(EUNAVAILABLE, "%s; retry shortly", what), cause)
}
