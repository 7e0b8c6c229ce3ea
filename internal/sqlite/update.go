package sqlite

import (
	"context"

	"github.com/eligo/eligo"
)

// UpdateOrders applies the updates in order in one BEGIN IMMEDIATE
// transaction and returns one result per update. See eligo.OrderStore.
//
// For each update: an event id recorded before (by an earlier call or an
// earlier update of the batch) makes it a duplicate; an unknown order
// rejects it with ENOTFOUND and leaves the event id unrecorded; an error
// from Apply rejects it; an Apply that leaves the statuses as they were
// makes it stale, and its event id is recorded so that a resend is a
// duplicate. Otherwise the order gets the next version, updated_at is the
// store's clock, and the row, the version and the event id are written.
// Apply is called with the clock reading taken under the write lock, the
// same for the whole batch.
func (s *Store) UpdateOrders(ctx context.Context, updates []eligo.Update) ([]eligo.UpdateResult, error) {
	results := make([]eligo.UpdateResult, len(updates))
	if len(updates) == 0 {
		return results, nil
	}
	w, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer w.rollback()
	for i := range updates {
		if results[i], err = w.update(&updates[i]); err != nil {
			return nil, err
		}
	}
	if err := w.commit(); err != nil {
		return nil, err
	}
	return results, nil
}

// update applies one update. The error return is for the transaction: a
// rejected update is a result, not an error.
func (w *writeTx) update(u *eligo.Update) (eligo.UpdateResult, error) {
	old, seen, err := w.findForEvent(u.OrderID, u.EventID)
	if eligo.ErrorCode(err) == eligo.ENOTFOUND {
		return w.unknownOrder(u, err)
	} else if err != nil {
		return eligo.UpdateResult{}, err
	}
	if seen && u.EventID != "" {
		return eligo.UpdateResult{Outcome: eligo.OutcomeDuplicate, Order: old}, nil
	}
	if u.Apply == nil {
		return rejected(old, eligo.Errorf(eligo.EINVALID, "update of order %q has no Apply function", old.ID)), nil
	}
	next, err := u.Apply(old, w.now)
	if err != nil {
		return rejected(old, err), nil
	}
	if next.ID != old.ID {
		return rejected(old, eligo.Errorf(eligo.EINVALID, "update of order %q changed its id to %q", old.ID, next.ID)), nil
	}
	if eligo.SameState(&old, &next) {
		if err := w.recordEventIfAny(u); err != nil {
			return eligo.UpdateResult{}, err
		}
		return eligo.UpdateResult{Outcome: eligo.OutcomeStale, Order: old}, nil
	}
	next.Version, next.UpdatedAt = old.Version+1, w.now
	args, err := orderArgs(&next)
	if err != nil {
		return rejected(old, err), nil
	}
	if err := w.updateOrder(args, old.Version); err != nil {
		return eligo.UpdateResult{}, err
	}
	vid, err := w.insertVersion(&old, &next, u.Who, u.EventID)
	if err != nil {
		return eligo.UpdateResult{}, err
	}
	if err := w.recordEventIfAny(u); err != nil {
		return eligo.UpdateResult{}, err
	}
	if err := w.enqueue(&next, vid); err != nil {
		return eligo.UpdateResult{}, err
	}
	return eligo.UpdateResult{Outcome: eligo.OutcomeApplied, Order: next, VersionID: vid}, nil
}

// unknownOrder answers an update for an order that does not exist: a
// duplicate when its event id was processed (for another order), else
// rejected with ENOTFOUND, the event id left unrecorded.
func (w *writeTx) unknownOrder(u *eligo.Update, notFound error) (eligo.UpdateResult, error) {
	if u.EventID != "" {
		seen, err := w.processed(u.EventID)
		if err != nil {
			return eligo.UpdateResult{}, err
		}
		if seen {
			return eligo.UpdateResult{Outcome: eligo.OutcomeDuplicate}, nil
		}
	}
	return rejected(eligo.Order{}, notFound), nil
}

func (w *writeTx) recordEventIfAny(u *eligo.Update) error {
	if u.EventID == "" {
		return nil
	}
	return w.recordEvent(u.EventID, u.OrderID)
}

func rejected(o eligo.Order, err error) eligo.UpdateResult {
	return eligo.UpdateResult{Outcome: eligo.OutcomeRejected, Order: o, Err: err}
}
