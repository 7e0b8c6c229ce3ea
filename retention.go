package eligo

import (
	"fmt"
	"time"
)

// Retention says how long the store keeps what no answer needs any more.
// A terminal order never changes again (ApplyEvent), so the instant it
// ended is its updated_at; a live order (PLACED) is never past retention,
// however old.
type Retention struct {
	// Orders is how long an ended order is kept, with its versions and its
	// processed event ids, after it ended. Zero keeps them forever.
	Orders time.Duration
	// Versions is how long a version row is kept after it was written,
	// whatever its order. Zero keeps them forever.
	Versions time.Duration
	// EventIDs is how long a processed event id is kept after it was
	// processed: within it a redelivered event is a duplicate. It must
	// stay above the Kafka topic's retention and the longest redelivery;
	// at least MinRetainEventIDs.
	EventIDs time.Duration
}

// The defaults of Retention, and the shortest EventIDs it accepts.
const (
	DefaultRetainOrders   = 30 * 24 * time.Hour
	DefaultRetainVersions = 90 * 24 * time.Hour
	DefaultRetainEventIDs = 7 * 24 * time.Hour
	MinRetainEventIDs     = time.Hour
)

// DefaultRetention returns the default Retention: ended orders for 30
// days, versions for 90 days, processed event ids for 7 days.
func DefaultRetention() Retention {
	return Retention{Orders: DefaultRetainOrders, Versions: DefaultRetainVersions, EventIDs: DefaultRetainEventIDs}
}

// Validate returns an EINVALID error when r cannot be applied: a negative
// duration, or processed event ids kept under MinRetainEventIDs (a
// redelivered event could then apply twice).
func (r Retention) Validate() error {
	if r.Orders < 0 || r.Versions < 0 {
		return Errorf(EINVALID, "retention of orders (%s) and of versions (%s) must be 0 (forever) or more", r.Orders, r.Versions)
	}
	if r.EventIDs < MinRetainEventIDs {
		return Errorf(EINVALID, "retention of processed event ids is %s; it must be at least %s, and above the Kafka topic's retention and the longest redelivery, or a redelivered event applies twice", r.EventIDs, MinRetainEventIDs)
	}
	return nil
}

// RetentionCutoffs are the instants before which rows are past retention.
// A zero instant deletes nothing of that kind.
type RetentionCutoffs struct {
	OrdersEndedBefore time.Time // ended (non-PLACED) orders with updated_at before it
	VersionsBefore    time.Time // version rows with created_at before it
	EventIDsBefore    time.Time // processed event ids with processed_at before it
}

// Cutoffs returns what is past retention at now.
func (r Retention) Cutoffs(now time.Time) RetentionCutoffs {
	c := RetentionCutoffs{EventIDsBefore: now.Add(-r.EventIDs)}
	if r.Orders > 0 {
		c.OrdersEndedBefore = now.Add(-r.Orders)
	}
	if r.Versions > 0 {
		c.VersionsBefore = now.Add(-r.Versions)
	}
	return c
}

// String describes r for a log line.
func (r Retention) String() string {
	keep := func(d time.Duration) string {
		if d == 0 {
			return "forever"
		}
		return d.String()
	}
	return fmt.Sprintf("ended orders %s, versions %s, event ids %s", keep(r.Orders), keep(r.Versions), r.EventIDs)
}

// RetentionCounts counts rows of the tables retention prunes: deleted by a
// batch, or kept.
type RetentionCounts struct {
	Orders, Versions, EventIDs int
}

// Add returns c plus d.
func (c RetentionCounts) Add(d RetentionCounts) RetentionCounts {
	return RetentionCounts{c.Orders + d.Orders, c.Versions + d.Versions, c.EventIDs + d.EventIDs}
}

// OldestKept is the instant of the oldest row of each kind that the store
// holds (zero when it holds none): the end of the earliest-ended order, the
// creation of the oldest version and the processing of the oldest event id.
type OldestKept struct {
	OrderEnded, Version, EventID time.Time
}

// EndedStatusNames are the names of the statuses an order ends in: every
// status but PLACED, the ones retention may delete.
func EndedStatusNames() []string {
	names := make([]string, 0, len(statusNames)-1)
	for i, n := range statusNames {
		if Status(i) != StatusPlaced {
			names = append(names, n)
		}
	}
	return names
}

// ValidateRetentionBatch checks the arguments of the OrderStore's Delete
// methods: a zero instant or a limit below 1 is EINVALID.
func ValidateRetentionBatch(before time.Time, limit int) error {
	if before.IsZero() || limit < 1 {
		return Errorf(EINVALID, "retention batch: expected a cut-off instant and a limit of at least 1, got %s and %d", before.Format(time.RFC3339), limit)
	}
	return nil
}
