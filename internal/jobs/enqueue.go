package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/tracing"
)

// EnqueueConfig says which jobs a change causes.
type EnqueueConfig struct {
	// Outbound enqueues an outbound event for every version. Set it when an
	// outbound sink (Kafka) is configured; the workers then must have a
	// Publisher, or the jobs fail and retry until one is configured.
	Outbound bool
	// Webhooks are the subscribers that receive versions; one job per
	// (version, matching subscriber).
	Webhooks []Subscriber
	// WebhookMaxAttempts is how many times a webhook is tried before it is
	// discarded. Zero means DefaultWebhookMaxAttempts.
	WebhookMaxAttempts int
	// Extra, when set, returns more jobs to insert for a change, in the
	// same transaction: the way an embedder hooks its own workers onto the
	// lifecycle.
	Extra func(o *eligo.Order, versionID int64) []river.InsertManyParams
}

// DefaultWebhookMaxAttempts is how many times a webhook is tried by
// default: with River's backoff (attempt^4 seconds) the last try comes about
// six and a half days after the first.
const DefaultWebhookMaxAttempts = 20

// Enqueuer decides which jobs a change causes. It is safe for concurrent
// use.
type Enqueuer struct {
	cfg EnqueueConfig
}

// NewEnqueuer returns an Enqueuer. Invalid subscribers are EINVALID.
func NewEnqueuer(cfg EnqueueConfig) (*Enqueuer, error) {
	for i := range cfg.Webhooks {
		if err := cfg.Webhooks[i].Validate(); err != nil {
			return nil, err
		}
	}
	if cfg.WebhookMaxAttempts <= 0 {
		cfg.WebhookMaxAttempts = DefaultWebhookMaxAttempts
	}
	return &Enqueuer{cfg: cfg}, nil
}

// Params returns the jobs caused by the change c (the order after it, the
// version that recorded it and that version's event):
//
//   - a payment re-check at the payment timeout, when an order is created
//     with its payment pending;
//   - an outbound event, when Outbound is set;
//   - a webhook per subscriber of the version's event;
//   - whatever Extra adds.
func (e *Enqueuer) Params(c *eligo.Change) []river.InsertManyParams {
	var params []river.InsertManyParams
	o := &c.Order
	p := payloadOf(c)
	if p.Event == eligo.VersionCreate && o.PaymentStatus == eligo.PaymentPending && !o.PaymentTimeoutAt.IsZero() {
		params = append(params, river.InsertManyParams{
			Args:       PaymentRecheckArgs{OrderID: o.ID},
			InsertOpts: &river.InsertOpts{ScheduledAt: o.PaymentTimeoutAt},
		})
	}
	if e.cfg.Outbound {
		params = append(params, river.InsertManyParams{Args: OutboundEventArgs(p)})
	}
	for i := range e.cfg.Webhooks {
		s := &e.cfg.Webhooks[i]
		if s.Wants(p.Event) {
			params = append(params, river.InsertManyParams{
				Args:       WebhookArgs{URL: s.URL, Payload: p},
				InsertOpts: &river.InsertOpts{MaxAttempts: e.cfg.WebhookMaxAttempts},
			})
		}
	}
	if e.cfg.Extra != nil {
		params = append(params, e.cfg.Extra(o, c.VersionID)...)
	}
	return params
}

// Inserter inserts jobs in a transaction of type TTx; *river.Client[TTx]
// is one.
type Inserter[TTx any] interface {
	InsertManyTx(ctx context.Context, tx TTx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Hook returns the jobs hook of a store (sqlite.Config.Jobs with TTx
// *sql.Tx, postgres.Config.Jobs with TTx pgx.Tx): the store calls it once
// per write with every change the write applied (eligo.JobsHook), and it
// inserts the jobs e says they cause into tx with one InsertManyTx, so a
// batch of a thousand events is one insert of jobs that commits with the
// changes. When ctx holds a span (tracing is on), every job carries its
// traceparent in its metadata (see traceMiddleware). The transaction stays the driver's own type, the one River's
// driver for that store takes. The client may be insert-only (built on a
// driver without a pool): inserting needs only the transaction.
func Hook[TTx any](ins Inserter[TTx], e *Enqueuer) eligo.JobsHook[TTx] {
	return func(ctx context.Context, tx TTx, changes []eligo.Change) error {
		var params []river.InsertManyParams
		for i := range changes {
			params = append(params, e.Params(&changes[i])...)
		}
		if len(params) == 0 {
			return nil
		}
		if tp := tracing.Traceparent(ctx); tp != "" {
			params = withTraceparent(params, tp)
		}
		if _, err := ins.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("jobs: insert %d jobs for %d changes: %w", len(params), len(changes), err)
		}
		return nil
	}
}
