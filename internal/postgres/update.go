package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/eligo/eligo"
)

// UpdateOrders applies the updates in order in one transaction and returns
// one result per update. See eligo.OrderStore.
//
// It locks every order the batch names (SELECT ... FOR UPDATE, in id
// order), reads the records of the event ids it names, takes the clock
// reading that every Apply of the batch gets, has eligo.DecideUpdate decide
// each update in memory, in input order, and writes the rows together.
func (s *Store) UpdateOrders(ctx context.Context, updates []eligo.Update) (_ []eligo.UpdateResult, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	if len(updates) == 0 {
		return []eligo.UpdateResult{}, nil
	}
	var results []eligo.UpdateResult
	err = s.inWriteTx(ctx, func(w *writeTx) error {
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
	var changes []eligo.Change
	for i := range results {
		if versionOf[i] >= 0 {
			results[i].VersionID = ids[versionOf[i]]
			changes = append(changes, eligo.Change{Order: results[i].Order, VersionID: results[i].VersionID, Event: updates[i].VersionEvent()})
		}
	}
	if err := w.enqueue(changes); err != nil {
		return nil, err
	}
	return results, nil
}

// decide writes, into ws and the batch's orders, what eligo.DecideUpdate
// says of one update, and returns its result and, when applied, the index
// of its version in ws.versions (else -1).
func (w *writeTx) decide(u *eligo.Update, orders map[string]*lockedOrder, processed map[string]*eligo.ProcessedEvent, ws *writes) (eligo.UpdateResult, int) {
	var stored *eligo.Order
	lo, ok := orders[u.OrderID]
	if ok {
		stored = &lo.cur
	}
	var seen *eligo.ProcessedEvent
	if u.EventID != "" {
		seen = processed[u.EventID]
	}
	step := eligo.DecideUpdate(u, stored, seen, w.now)
	v := -1
	if step.Write {
		next := &step.Result.Order
		microOrder(next)
		v = ws.addVersion(&lo.cur, next, u, u.Who, u.EventID, micro(u.OccurredAt))
		lo.cur, lo.changed = *next, true
	}
	if step.Record {
		rec := u.Processed()
		rec.OccurredAt = micro(rec.OccurredAt)
		processed[u.EventID] = &rec
		ws.events = append(ws.events, processedID{eventID: u.EventID, rec: rec})
	}
	return step.Result, v
}

const (
	// lockOrdersSQL locks in id order, so two transactions that lock some
	// of the same orders take them in the same order and never deadlock.
	lockOrdersSQL    = `SELECT ` + orderColumns + ` FROM orders WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`
	findProcessedSQL = `SELECT event_id, order_id, event_type, event_status, occurred_at
		FROM processed_events WHERE event_id = ANY($1::text[])`
)

// lock locks the orders that the updates name and returns them by id, with
// the set of the updates' event ids that were processed before. The two
// statements go in one round trip; the second runs once the first holds
// the locks, so it sees every transaction that held them before.
func (w *writeTx) lock(updates []eligo.Update) (map[string]*lockedOrder, map[string]*eligo.ProcessedEvent, error) {
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

func readLock(br pgx.BatchResults, withEvents bool) (map[string]*lockedOrder, map[string]*eligo.ProcessedEvent, error) {
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
	processed := map[string]*eligo.ProcessedEvent{}
	if !withEvents {
		return orders, processed, nil
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: find processed events: %w", err)
	}
	var (
		id, orderID      string
		evType, evStatus pgtype.Text
		occurred         pgtype.Timestamptz
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &orderID, &evType, &evStatus, &occurred}, func() error {
		rec := &eligo.ProcessedEvent{OrderID: orderID, Type: evType.String, Status: evStatus.String, Known: evType.Valid}
		if occurred.Valid {
			rec.OccurredAt = occurred.Time.UTC()
		}
		processed[id] = rec
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
