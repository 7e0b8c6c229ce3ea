package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/eligo/eligo"
)

// UpdateOrders applies the updates in order in one transaction and returns
// one result per update. See eligo.OrderStore.
//
// It locks every order the batch names (SELECT ... FOR UPDATE, in id
// order), reads which event ids were processed, takes the clock reading
// that every Apply of the batch gets, decides each update in memory, and
// writes the rows together. For each update: an event id recorded before
// (by an earlier call or an earlier update of the batch) makes it a
// duplicate; an unknown order rejects it with ENOTFOUND and leaves the event
// id unrecorded; an error from Apply rejects it; an Apply that leaves the
// statuses as they were makes it stale, and its event id is recorded so that
// a resend is a duplicate. Otherwise the order gets the next version,
// updated_at is the store's clock, and the row, the version and the event
// id are written.
func (s *Store) UpdateOrders(ctx context.Context, updates []eligo.Update) ([]eligo.UpdateResult, error) {
	if len(updates) == 0 {
		return []eligo.UpdateResult{}, nil
	}
	var results []eligo.UpdateResult
	err := s.inWriteTx(ctx, func(w *writeTx) error {
		var err error
		results, err = w.updateOrders(updates)
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// lockedOrder is an order of the batch: as stored when locked, and as the
// updates so far left it.
type lockedOrder struct {
	stored, cur eligo.Order
	changed     bool
}

func (w *writeTx) updateOrders(updates []eligo.Update) ([]eligo.UpdateResult, error) {
	orders, processed, err := w.lock(updates)
	if err != nil {
		return nil, err
	}
	// The instant every Apply of the batch decides at, read once the locks
	// are held.
	w.now = w.store.clock()
	var ws writes
	results := make([]eligo.UpdateResult, len(updates))
	versionOf := make([]int, len(updates)) // index in ws.versions, when applied
	for i := range updates {
		results[i], versionOf[i] = w.decide(&updates[i], orders, processed, &ws)
	}
	for _, id := range sortedIDs(orders) {
		if lo := orders[id]; lo.changed {
			ws.updates = append(ws.updates, orderWrite{order: lo.cur, prevVersion: lo.stored.Version})
		}
	}
	ids, err := w.flush(&ws)
	if err != nil {
		return nil, err
	}
	var changes []Change
	for i := range results {
		if results[i].Outcome == eligo.OutcomeApplied {
			results[i].VersionID = ids[versionOf[i]]
			changes = append(changes, Change{Order: results[i].Order, VersionID: results[i].VersionID})
		}
	}
	if err := w.enqueue(changes); err != nil {
		return nil, err
	}
	return results, nil
}

// decide applies one update to the batch's orders in memory and returns its
// result and, when applied, the index of its version in ws.versions.
func (w *writeTx) decide(u *eligo.Update, orders map[string]*lockedOrder, processed map[string]bool, ws *writes) (eligo.UpdateResult, int) {
	seen := u.EventID != "" && processed[u.EventID]
	lo, ok := orders[u.OrderID]
	switch {
	case !ok && seen:
		// Processed before, for another order.
		return eligo.UpdateResult{Outcome: eligo.OutcomeDuplicate}, -1
	case !ok:
		return rejected(eligo.Order{}, orderNotFound(u.OrderID)), -1
	case seen:
		return eligo.UpdateResult{Outcome: eligo.OutcomeDuplicate, Order: lo.cur}, -1
	case u.Apply == nil:
		return rejected(lo.cur, eligo.Errorf(eligo.EINVALID, "update of order %q has no Apply function", lo.cur.ID)), -1
	}
	old := lo.cur
	next, err := u.Apply(old, w.now)
	if err != nil {
		return rejected(old, err), -1
	}
	if next.ID != old.ID {
		return rejected(old, eligo.Errorf(eligo.EINVALID, "update of order %q changed its id to %q", old.ID, next.ID)), -1
	}
	if eligo.SameState(&old, &next) {
		w.recordEvent(u, processed, ws)
		return eligo.UpdateResult{Outcome: eligo.OutcomeStale, Order: old}, -1
	}
	next.Version, next.UpdatedAt = old.Version+1, w.now
	microOrder(&next)
	if err := checkTimes(&next); err != nil {
		return rejected(old, err), -1
	}
	v := ws.addVersion(&old, &next, u.Who, u.EventID)
	w.recordEvent(u, processed, ws)
	lo.cur, lo.changed = next, true
	return eligo.UpdateResult{Outcome: eligo.OutcomeApplied, Order: next}, v
}

// recordEvent records the update's event id, if any, as processed.
func (w *writeTx) recordEvent(u *eligo.Update, processed map[string]bool, ws *writes) {
	if u.EventID == "" {
		return
	}
	processed[u.EventID] = true
	ws.events = append(ws.events, processedID{eventID: u.EventID, orderID: u.OrderID})
}

const (
	// lockOrdersSQL locks in id order, so two transactions that lock some
	// of the same orders take them in the same order and never deadlock.
	lockOrdersSQL    = `SELECT ` + orderColumns + ` FROM orders WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`
	findProcessedSQL = `SELECT event_id FROM processed_events WHERE event_id = ANY($1::text[])`
)

// lock locks the orders that the updates name and returns them by id, with
// the set of the updates' event ids that were processed before. The two
// statements go in one round trip; the second runs once the first holds
// the locks, so it sees every transaction that held them before.
func (w *writeTx) lock(updates []eligo.Update) (map[string]*lockedOrder, map[string]bool, error) {
	orderIDs := make([]string, 0, len(updates))
	eventIDs := make([]string, 0, len(updates))
	for i := range updates {
		orderIDs = append(orderIDs, updates[i].OrderID)
		if updates[i].EventID != "" {
			eventIDs = append(eventIDs, updates[i].EventID)
		}
	}
	var b pgx.Batch
	b.Queue(lockOrdersSQL, orderIDs)
	if len(eventIDs) > 0 {
		b.Queue(findProcessedSQL, eventIDs)
	}
	br := w.tx.SendBatch(w.ctx, &b)
	orders, processed, err := readLock(br, len(eventIDs) > 0)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("postgres: lock orders: %w", cerr)
	}
	return orders, processed, err
}

func readLock(br pgx.BatchResults, withEvents bool) (map[string]*lockedOrder, map[string]bool, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: lock orders: %w", err)
	}
	orders := map[string]*lockedOrder{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("postgres: lock orders: %w", err)
		}
		orders[o.ID] = &lockedOrder{stored: o, cur: o}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("postgres: lock orders: %w", err)
	}
	processed := map[string]bool{}
	if !withEvents {
		return orders, processed, nil
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: find processed events: %w", err)
	}
	var id string
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		processed[id] = true
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: find processed events: %w", err)
	}
	return orders, processed, nil
}

func sortedIDs(orders map[string]*lockedOrder) []string {
	ids := make([]string, 0, len(orders))
	for id := range orders {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func rejected(o eligo.Order, err error) eligo.UpdateResult {
	return eligo.UpdateResult{Outcome: eligo.OutcomeRejected, Order: o, Err: err}
}
