package eligo

import (
	"context"
	"time"
)

// Outcomes of applying one update or event.
const (
	OutcomeApplied   = "applied"   // the order changed and a version was written
	OutcomeDuplicate = "duplicate" // the event id was processed before; nothing changed
	OutcomeStale     = "stale"     // the order is already at or past what the event says
	OutcomeRejected  = "rejected"  // the event is invalid or names an unknown order
)

// OrderStore is the system of record. Every method that writes does so in
// one transaction: the order row, its version record and the processed event
// id commit together or not at all. Every call has a deadline (the store's
// timeout): one that the store cannot answer in time, or that the database
// refuses for now, fails with EUNAVAILABLE. Such a write changed nothing,
// unless the deadline fell during its commit; resending it is safe either
// way (event ids and repeated creates are idempotent).
//
// Implementations: internal/sqlite (embedded default) and internal/postgres.
// Both pass the suite in internal/storetest.
type OrderStore interface {
	// CreateOrder stores version 1 of a new order with its "create" version.
	// If the id exists and p describes the same order, it returns the stored
	// order and created=false; if p differs, an ECONFLICT error. Invalid
	// params are EINVALID.
	CreateOrder(ctx context.Context, p *CreateOrderParams) (o Order, created bool, err error)

	// UpdateOrders applies the updates in order, in one transaction, and
	// returns one result per update in the same order. An update whose Apply
	// fails is rejected and changes nothing; the others still apply. The
	// returned error is for the transaction as a whole (nothing was applied).
	UpdateOrders(ctx context.Context, updates []Update) ([]UpdateResult, error)

	// FindOrder returns the stored order, or ENOTFOUND.
	FindOrder(ctx context.Context, id string) (Order, error)

	// ListOrders returns up to p.Limit orders with id > p.AfterID, by id.
	ListOrders(ctx context.Context, p *ListOrdersParams) ([]Order, error)

	// ListHotOrders returns up to p.Limit orders of the hot set at a bound
	// (see ListHotOrdersParams), after p.After: a range scan of the index
	// on (status, updated_at), whose cost follows the hot set, not history.
	ListHotOrders(ctx context.Context, p *ListHotOrdersParams) ([]Order, error)

	// FindVersions returns the versions of one order, oldest first, or
	// ENOTFOUND when the order does not exist.
	FindVersions(ctx context.Context, orderID string) ([]Version, error)

	// FindVersion returns one version record, or ENOTFOUND.
	FindVersion(ctx context.Context, id int64) (Version, error)

	// ListChanges returns up to limit committed changes with a version id
	// above afterID, by version id: the store's outbox, from which every
	// replica repairs a shared read model (engine.Repairer). Ids are
	// assigned before commit, so a change can appear below an id listed
	// before; a reader re-reads behind its high-water mark.
	ListChanges(ctx context.Context, afterID int64, limit int) ([]CommittedChange, error)

	// DeleteEndedOrders deletes, in one short transaction, up to limit
	// ended orders (never a PLACED one) whose updated_at is before
	// endedBefore, with their versions and processed event ids, and counts
	// the rows deleted; fewer than limit orders means no more are due.
	DeleteEndedOrders(ctx context.Context, endedBefore time.Time, limit int) (RetentionCounts, error)

	// DeleteVersions deletes up to limit version rows created before
	// before, in one short transaction, and returns how many.
	DeleteVersions(ctx context.Context, before time.Time, limit int) (int, error)

	// DeleteEventIDs deletes up to limit processed event ids processed
	// before before, in one short transaction, and returns how many.
	DeleteEventIDs(ctx context.Context, before time.Time, limit int) (int, error)

	// OldestKept returns the instant of the oldest row of each kind kept.
	OldestKept(ctx context.Context) (OldestKept, error)

	// PolicyStore keeps the policy's versions.
	PolicyStore

	// Ping reports whether the store answers now, within the store's
	// deadline: EUNAVAILABLE when it cannot (readiness asks it).
	Ping(ctx context.Context) error

	// Close releases the store's resources.
	Close() error
}

// CreateOrderParams are the inputs of OrderStore.CreateOrder.
type CreateOrderParams struct {
	Order NewOrderParams
	Who   string // whodunnit of the create version
}

// Update is one change to one order, read and written under the order's row
// lock. Apply gets the stored order and the store's clock reading taken
// under that lock, and returns the new order (unchanged when there is
// nothing to do) or an error that rejects the update.
//
// EventUpdate builds the Update of an event; DecideUpdate decides the
// outcome of every Update, for every store.
type Update struct {
	OrderID string
	EventID string // when set, the update is skipped as a duplicate if this id was processed before
	Who     string // whodunnit of the version
	Apply   func(o Order, now time.Time) (Order, error)

	// What the event with EventID said, kept with the id: a later update
	// with the same id is a duplicate only when it says the same (see
	// DecideUpdate). Empty for a change not caused by an event.
	EventType, EventStatus string
	// OccurredAt is when the event happened, kept with the event id and on
	// the version the update writes; zero when not known or not an event.
	OccurredAt time.Time

	// Action is set when the update takes a policy action (ActionUpdate):
	// its version is a VersionAction recording it.
	Action *ActionRecord
}

// UpdateResult is the result of one Update.
type UpdateResult struct {
	Outcome   string // one of the Outcome constants
	Order     Order  // the order after the update (zero when rejected for an unknown order)
	VersionID int64  // the version written, when applied
	Err       error  // why it was rejected
}

// CommittedChange is one committed change to an order, as
// OrderStore.ListChanges lists it: the version row, without its contents.
type CommittedChange struct {
	VersionID    int64
	OrderID      string
	OrderVersion int64 // the order's version after the change
}

// Change is one change a write transaction applied: the order after it
// (Version 1 for a create), the id of the version just recorded and its
// event (VersionCreate, VersionUpdate or VersionAction).
type Change struct {
	Order     Order
	VersionID int64
	Event     string
}

// JobsHook is the one shape in which both stores hand the jobs that
// changes cause to the jobs package (sqlite.Config.Jobs with TTx *sql.Tx,
// postgres.Config.Jobs with TTx pgx.Tx; internal/jobs.Hook makes one). A
// store calls it once per write (one CreateOrder or UpdateOrders call) that
// applied at least one change, after the write's rows are written and
// before they commit, with every change of the write in input order; it
// inserts the jobs through tx, so that they commit with the changes or not
// at all. An error rolls the whole write back. A store that gathers several
// writes into one database transaction (SQLite's group commit) calls it
// once for each, inside that write's savepoint, so an error rolls back that
// write alone. It may run more than once for the same changes when a store
// retries the transaction; only the last run commits.
type JobsHook[TTx any] func(ctx context.Context, tx TTx, changes []Change) error

// ListOrdersParams page through all orders by id.
type ListOrdersParams struct {
	AfterID string
	Limit   int
}

// ReadModel is the projection the read path serves from: one snapshot per
// order, version-guarded. It can be rebuilt from the OrderStore at any time.
// It holds at most the hot set (Order.Hot): a miss means "ask the store",
// whose answer the reader puts back while the order is hot.
//
// Implementations: internal/readmodel (in-process) and internal/redis.
type ReadModel interface {
	// Get returns the snapshot of an order and whether there is one.
	Get(ctx context.Context, id string) (Order, bool, error)
	// Put stores o unless the model already holds the same or a later
	// version of it, and reports whether it stored. An o out of the hot
	// set (its grace period over) is not stored, and an older snapshot of
	// it that the model held is dropped.
	Put(ctx context.Context, o Order) (bool, error)
}
