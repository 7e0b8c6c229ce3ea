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
// id commit together or not at all.
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
type Update struct {
	OrderID string
	EventID string // when set, the update is skipped as a duplicate if this id was processed before
	Who     string // whodunnit of the version
	Apply   func(o Order, now time.Time) (Order, error)
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

// ListOrdersParams page through all orders by id.
type ListOrdersParams struct {
	AfterID string
	Limit   int
}

// ReadModel is the projection the read path serves from: one snapshot per
// order, version-guarded. It can be rebuilt from the OrderStore at any time.
//
// Implementations: internal/readmodel (in-process) and internal/redis.
type ReadModel interface {
	// Get returns the snapshot of an order and whether there is one.
	Get(ctx context.Context, id string) (Order, bool, error)
	// Put stores o unless the model already holds the same or a later
	// version of it; it reports whether o was stored.
	Put(ctx context.Context, o Order) (bool, error)
	// Partial says what a miss means. A partial model (a shared cache such
	// as Redis, filled on demand) may miss an order that exists: the
	// reader asks the OrderStore and puts the answer back. A complete model
	// (the in-process one, filled by a rebuild and by every write) misses
	// only orders that do not exist, and reads never touch the store.
	Partial() bool
}
