package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
)

// PaymentRecheckArgs re-checks the payment of an order at its payment
// timeout. It is unique by order id: an order has one re-check.
type PaymentRecheckArgs struct {
	OrderID string `json:"order_id"`
}

// Kind implements river.JobArgs.
func (PaymentRecheckArgs) Kind() string { return "payment_recheck" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PaymentRecheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePayment, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Orders is what the workers need of the engine: the stored order, and the
// system's changes, which move the read model and live subscribers forward.
// *engine.Engine implements it.
type Orders interface {
	StoredOrder(ctx context.Context, id string) (eligo.Order, error)
	RecheckPayment(ctx context.Context, p *engine.RecheckPaymentParams) (engine.RecheckResult, error)
}

// PaymentRecheckWorker runs PaymentRecheckArgs. When the order is no longer
// waiting for its payment, it does nothing (a payment event that came first
// makes the re-check moot). Otherwise it asks the provider, when one is
// configured, and applies the answer: PAID records the payment; anything
// else at or after the timeout expires the order, with whodunnit system. A
// provider error fails the job, and River retries it with backoff.
//
// The change is made once: it carries the job's id as its event id, so a
// job run again after a crash between the commit and River marking it
// completed finds the change done.
type PaymentRecheckWorker struct {
	river.WorkerDefaults[PaymentRecheckArgs]
	Orders   Orders
	Provider *PaymentProvider // nil: no provider, the order expires at its timeout
	Metrics  *Metrics         // optional
}

// Work implements river.Worker.
func (w *PaymentRecheckWorker) Work(ctx context.Context, job *river.Job[PaymentRecheckArgs]) error {
	o, err := w.Orders.StoredOrder(ctx, job.Args.OrderID)
	if eligo.ErrorCode(err) == eligo.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if o.Terminal() || !o.PaymentStatus.Unpaid() {
		w.Metrics.recheck(recheckMoot)
		return nil
	}
	answer := eligo.PaymentPending
	if w.Provider != nil {
		if answer, err = w.Provider.Status(ctx, o.ID); err != nil {
			w.Metrics.recheck(recheckProviderError)
			return err
		}
	}
	r, err := w.Orders.RecheckPayment(ctx, &engine.RecheckPaymentParams{
		OrderID: o.ID,
		Payment: answer,
		// An id no event from outside can take (eligo.Event.Validate
		// refuses the prefix), so none can squat it in advance.
		EventID: fmt.Sprintf("%sjob-%d-payment_recheck", eligo.InternalEventIDPrefix, job.ID),
	})
	if err != nil {
		return err
	}
	if !r.NotDueUntil.IsZero() {
		// River ran the job before the store's clock reached the timeout
		// (clocks differ): come back then.
		w.Metrics.recheck(recheckEarly)
		return river.JobSnooze(max(time.Until(r.NotDueUntil), 0) + 10*time.Millisecond)
	}
	switch {
	case r.Outcome != eligo.OutcomeApplied:
		w.Metrics.recheck(recheckMoot)
	case r.Order.Status == eligo.StatusExpired:
		w.Metrics.recheck(recheckExpired)
	default:
		w.Metrics.recheck(recheckPaid)
	}
	return nil
}
