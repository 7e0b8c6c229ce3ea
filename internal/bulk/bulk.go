// Package bulk holds what a store's bulk load writes: the rows of orders,
// of their versions and of their processed event ids, made from a plan of
// each order's life by the root package's own decisions (DecideCreate,
// DecideUpdate, Changes), so that a loaded history reads back as if every
// order had been created and updated through the store, one call at a
// time, with the store's clock at each step's instant. It is for the soak
// benchmark and tests that need a long history quickly; eligo itself never
// bulk loads.
package bulk

import (
	"fmt"
	"time"

	"github.com/eligo/eligo"
)

// Plan is the life of one order: its create at CreatedAt, then each step's
// event applied at the step's instant, as the store's clock would read.
type Plan struct {
	Order     eligo.NewOrderParams
	CreatedAt time.Time
	Who       string // whodunnit of the create and of every step
	Steps     []Step
}

// Step is one event of a plan and the store's instant when it is applied.
type Step struct {
	Event eligo.Event
	At    time.Time
}

// Event is one row of processed event ids: the id, what the event said,
// and when the store recorded it.
type Event struct {
	ID          string
	Record      eligo.ProcessedEvent
	ProcessedAt time.Time
}

// Rows are the rows of a bulk load, in the order a store writes them:
// versions are numbered by the store in this order, as they would have
// been had the plans been applied one after another.
type Rows struct {
	Host, Build string // recorded in every version Add makes

	Orders   []eligo.Order // each order's last state
	Versions []Version
	Events   []Event
}

// Version is one row of versions. Its ID is unset (the store numbers it)
// and so is ObjectChanges: Changes holds them as the store keeps them.
type Version struct {
	eligo.Version
	Changes []byte // object_changes, as eligo.VersionRecord makes them
}

// Add appends the rows of p. A plan that the rules refuse (an invalid
// order, a step rejected or for another order, an event id used twice) is
// an error naming the order, and nothing is appended.
func (r *Rows) Add(p *Plan) error {
	o, created, err := eligo.DecideCreate(&p.Order, nil, p.CreatedAt)
	if err != nil || !created {
		return fmt.Errorf("bulk: order %q: %w", p.Order.ID, err)
	}
	v, err := r.version(nil, &o, p.Who, "", time.Time{}, p.CreatedAt)
	if err != nil {
		return err
	}
	versions := []Version{v}
	var events []Event
	seen := map[string]*eligo.ProcessedEvent{}
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Event.OrderID != o.ID {
			return fmt.Errorf("bulk: order %q: step %d is for order %q", o.ID, i, s.Event.OrderID)
		}
		u := eligo.EventUpdate(&s.Event, p.Who)
		step := eligo.DecideUpdate(&u, &o, seen[u.EventID], s.At)
		if step.Result.Outcome == eligo.OutcomeRejected || step.Result.Outcome == eligo.OutcomeDuplicate {
			return fmt.Errorf("bulk: order %q: step %d (%s) is %s: %v", o.ID, i, u.EventID, step.Result.Outcome, step.Result.Err)
		}
		if step.Write {
			next := step.Result.Order
			v, err := r.version(&o, &next, p.Who, u.EventID, u.OccurredAt, s.At)
			if err != nil {
				return err
			}
			versions = append(versions, v)
			o = next
		}
		if step.Record {
			rec := u.Processed()
			seen[u.EventID] = &rec
			events = append(events, Event{ID: u.EventID, Record: rec, ProcessedAt: s.At})
		}
	}
	r.Orders = append(r.Orders, o)
	r.Versions = append(r.Versions, versions...)
	r.Events = append(r.Events, events...)
	return nil
}

// version is the record of the change from before (nil: the create) to
// after, as a store's insertVersion writes it.
func (r *Rows) version(before, after *eligo.Order, who, eventID string, occurred, at time.Time) (Version, error) {
	event, changes, err := eligo.VersionRecord(before, after)
	if err != nil {
		return Version{}, fmt.Errorf("bulk: order %q: %w", after.ID, err)
	}
	return Version{Changes: changes, Version: eligo.Version{
		ItemType: eligo.ItemTypeOrder, ItemID: after.ID, Event: event, Whodunnit: who,
		EventID: eventID, OccurredAt: occurred, CreatedAt: at, Host: r.Host, Build: r.Build,
		OrderVersion: after.Version,
	}}, nil
}

// Reset empties r for the next batch, keeping its host, build and the
// room it has.
func (r *Rows) Reset() {
	r.Orders, r.Versions, r.Events = r.Orders[:0], r.Versions[:0], r.Events[:0]
}
