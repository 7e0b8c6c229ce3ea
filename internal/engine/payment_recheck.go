package engine

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/eligo/eligo"
)

// The payment re-check that River runs at an order's payment timeout is a
// change made by the system rather than by a customer or a service. It goes
// through the store's write transaction like any other change, and after the
// commit through publish, so the read model and live subscribers move
// forward. The rule is eligo.RecheckPayment; this file only runs it under
// the order's row lock.

// RecheckPaymentParams are the inputs of RecheckPayment.
type RecheckPaymentParams struct {
	OrderID string
	// Payment is what the payment provider says now; PaymentPending when no
	// provider is asked.
	Payment eligo.PaymentStatus
	// EventID, when set, makes the change idempotent: a second call with
	// the same id (the job run again after a crash) changes nothing.
	EventID string
}

// RecheckResult is the outcome of RecheckPayment.
type RecheckResult struct {
	eligo.UpdateResult
	// NotDueUntil is set when the order's payment timeout has not passed by
	// the store's clock and the provider did not say PAID: nothing changed,
	// and the re-check should run again at that instant.
	NotDueUntil time.Time
}

// errNotDue rejects a re-check that ran before the payment timeout, so that
// nothing is recorded for its event id and a later run can still apply.
var errNotDue = errors.New("payment timeout not reached")

// RecheckPayment applies the payment provider's answer to an order whose
// payment was unpaid, under the order's row lock, with whodunnit
// eligo.WhoSystem, in one version, by the rule of eligo.RecheckPayment: an
// order that is over or already paid is left as it is (stale); PAID records
// the payment; otherwise, at or after the payment timeout, the order expires
// (with a FAILED answer recorded); otherwise (the re-check ran early) nothing
// changes and NotDueUntil says when to run again.
func (e *Engine) RecheckPayment(ctx context.Context, p *RecheckPaymentParams) (RecheckResult, error) {
	var due time.Time
	sctx, span := startStoreCall(ctx, "UpdateOrders", nil, attribute.Int("eligo.updates", 1))
	results, err := e.cfg.Store.UpdateOrders(sctx, []eligo.Update{{
		OrderID: p.OrderID,
		EventID: p.EventID,
		Who:     eligo.WhoSystem,
		Apply: func(o eligo.Order, now time.Time) (eligo.Order, error) {
			next, notDue := eligo.RecheckPayment(o, p.Payment, now)
			if notDue {
				due = o.PaymentTimeoutAt
				return o, errNotDue
			}
			return next, nil
		},
	}})
	endStoreCall(span, err)
	if err != nil {
		return RecheckResult{}, err
	}
	r := RecheckResult{UpdateResult: results[0]}
	if r.Outcome == eligo.OutcomeRejected && errors.Is(r.Err, errNotDue) {
		r.Outcome, r.Err, r.NotDueUntil = eligo.OutcomeStale, nil, due
		return r, nil
	}
	if r.Outcome == eligo.OutcomeRejected {
		return r, r.Err
	}
	if r.Outcome == eligo.OutcomeApplied || repairs(&r.UpdateResult) {
		e.publish(ctx, r.Order, true)
	}
	return r, nil
}
