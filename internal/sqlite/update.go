package sqlite

import (
	"context"

	"github.com/eligo/eligo"
)

// UpdateOrders applies the updates in order as one write of a group
// transaction (see groupCommit) and returns one result per update. See
// eligo.OrderStore; eligo.DecideUpdate decides each update, with the order
// and the record of its event id as the transaction sees them (earlier
// updates of the batch, and earlier writes of the group, included). Apply
// is called with the clock reading taken under the write lock, the same
// for the whole batch. An error rolls back this batch only.
func (s *Store) UpdateOrders(ctx context.Context, updates []eligo.Update) (_ []eligo.UpdateResult, err error) {
	ctx, done := s.call(ctx)
	defer done(&err)
	results := make([]eligo.UpdateResult, len(updates))
	if len(updates) == 0 {
		return results, nil
	}
	err = s.group.write(ctx, len(updates), func(w *writeTx) error {
		for i := range updates {
			var err error
			if results[i], err = w.update(&updates[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// update writes what eligo.DecideUpdate says of one update. The error
// return is for the transaction: a rejected update is a result, not an
// error.
func (w *writeTx) update(u *eligo.Update) (eligo.UpdateResult, error) {
	stored, seen, err := w.findForEvent(u.OrderID, u.EventID)
	if err != nil {
		return eligo.UpdateResult{}, err
	}
	step := eligo.DecideUpdate(u, stored, seen, w.now)
	if step.Write {
		next := &step.Result.Order
		args, err := orderArgs(next)
		if err != nil {
			return eligo.UpdateResult{}, err
		}
		if err := w.updateOrder(args, stored.Version); err != nil {
			return eligo.UpdateResult{}, err
		}
		if step.Result.VersionID, err = w.insertVersion(stored, next, u, u.Who, u.EventID, u.OccurredAt); err != nil {
			return eligo.UpdateResult{}, err
		}
	}
	if step.Record {
		if err := w.recordEvent(u); err != nil {
			return eligo.UpdateResult{}, err
		}
	}
	return step.Result, nil
}
