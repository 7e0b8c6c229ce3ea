// Package engine is the eligibility engine: it applies commands and events to
// the system of record, one transaction each, and after every commit moves
// the read model forward and tells the listeners (the live hub, and the
// fan-out to the other replicas). Reads are served from the read model,
// which holds the hot set (eligo.Order.Hot), and from the store on a miss,
// through a small cache of the orders out of the hot set; StoredOrder,
// which the workers use, reads the store. The rules are the root
// package's; the engine runs them under the store's locks.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"encoding/json"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"

	"github.com/eligo/eligo"
)

// Listener is told about every committed change, after the read model has
// it. Calls may arrive out of version order from concurrent writers; a
// listener that cares keeps the highest version it has seen. OrderChanged
// must not block. ctx carries the trace of what made the change (a
// request, an event's Kafka record, a job) and is not to be kept: it may
// end when OrderChanged returns.
type Listener interface {
	OrderChanged(ctx context.Context, o eligo.Order)
}

// Config holds the engine's dependencies.
type Config struct {
	Store eligo.OrderStore
	// ReadModel serves reads. A miss is read from the store, and put back
	// when the order is hot.
	ReadModel eligo.ReadModel
	// Policy is the policy in force at start; SetPolicy and ApplyPolicy
	// change it.
	Policy *eligo.Policy
	// HotGrace is how long a terminal order stays hot after it ended: the
	// read model's (eligo.Order.Hot). Zero means eligo.DefaultHotGrace.
	HotGrace time.Duration
	// ColdCacheSize bounds the orders out of the hot set that reads keep
	// in memory (see cold.go). Zero means DefaultColdCacheSize; negative
	// turns the cache off.
	ColdCacheSize int
	// NegativeTTL is how long an order id that neither the model nor the
	// store holds is answered "not found" without asking the store again
	// (see negative.go). Zero means DefaultNegativeTTL; negative turns the
	// cache off.
	NegativeTTL time.Duration
	// NegativeSize bounds the ids the negative cache holds. Zero means
	// DefaultNegativeSize.
	NegativeSize int
	Now          func() time.Time
	Listeners    []Listener
	// PolicyListeners are told when the policy in force changes.
	PolicyListeners []PolicyListener
	// PolicyPublisher tells the other replicas of each policy ApplyPolicy
	// stores; nil: there are none (one process).
	PolicyPublisher PolicyPublisher
	// Logger gets read-model failures; nil discards.
	Logger *slog.Logger
	// Registerer gets the engine's metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
}

// Engine applies changes and answers reads. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	policy   *eligo.LatestPolicy
	metrics  *metrics
	negative *negativeCache
	cold     *coldCache
}

// New returns an engine. Call Rebuild before serving reads.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.ReadModel == nil || cfg.Policy == nil {
		return nil, errors.New("engine: Store, ReadModel and Policy are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HotGrace < 0 {
		return nil, errors.New("engine: HotGrace must not be negative")
	}
	if cfg.HotGrace == 0 {
		cfg.HotGrace = eligo.DefaultHotGrace
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	cold, err := newColdCache(cfg.ColdCacheSize)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, metrics: m, cold: cold, negative: newNegativeCache(cfg.NegativeTTL, cfg.NegativeSize)}
	e.policy = eligo.NewLatestPolicy(cfg.Policy)
	m.actionsAtZero(cfg.Policy)
	m.policySeq.Set(float64(cfg.Policy.Version().Seq))
	return e, nil
}

// Now returns the engine's clock reading.
func (e *Engine) Now() time.Time { return e.cfg.Now() }

// rebuildPage is how many orders Rebuild reads from the store at a time.
const rebuildPage = 1000

// Rebuild loads the hot set from the store into the read model (the live
// orders, and those that ended less than HotGrace ago) and returns how
// many orders it put there. It reads a range of the store's index, so it
// costs the hot set, not the history.
func (e *Engine) Rebuild(ctx context.Context) (int, error) {
	now := e.cfg.Now()
	p := &eligo.ListHotOrdersParams{EndedSince: now.Add(-e.cfg.HotGrace), Limit: rebuildPage}
	n := 0
	for {
		page, err := e.cfg.Store.ListHotOrders(ctx, p)
		if err != nil {
			return n, err
		}
		for _, o := range page {
			if !o.Hot(now, e.cfg.HotGrace) { // ended at the bound itself
				continue
			}
			if _, err := e.cfg.ReadModel.Put(ctx, o); err != nil {
				return n, err
			}
			n++
		}
		if len(page) < rebuildPage {
			return n, nil
		}
		p.After = &page[len(page)-1]
	}
}

// Order returns the current snapshot of an order, or ENOTFOUND: from the
// read model when it holds the order, else from the store, through the
// cache of orders out of the hot set.
func (e *Engine) Order(ctx context.Context, id string) (eligo.Order, error) {
	o, ok, err := e.cfg.ReadModel.Get(ctx, id)
	if err != nil {
		// Debug: the read model logs its own outages, once at their start
		// and once at their end (the Redis one does), not once a call.
		e.cfg.Logger.DebugContext(ctx, "read model get failed; reading the store", "order_id", id, "err", err)
	}
	if ok {
		return o, nil
	}
	if o, ok := e.cold.get(id); ok {
		e.metrics.coldReads.WithLabelValues(unknownCached).Inc()
		return o, nil
	}
	// The model answered "absent" (not an error): an id the store did not
	// hold a moment ago is answered from memory. A created order is in
	// the model, which is asked first, so it is found at once everywhere.
	rmAnswered := err == nil
	if rmAnswered && e.negative.has(id, e.cfg.Now()) {
		e.metrics.unknownReads.WithLabelValues(unknownCached).Inc()
		return eligo.Order{}, notFound(id)
	}
	sctx, span := startStoreCall(ctx, "FindOrder", nil)
	o, err = e.cfg.Store.FindOrder(sctx, id)
	endStoreCall(span, err)
	if err != nil {
		if rmAnswered && eligo.ErrorCode(err) == eligo.ENOTFOUND {
			e.metrics.unknownReads.WithLabelValues(unknownStore).Inc()
			e.negative.add(id, e.cfg.Now())
		}
		return eligo.Order{}, err
	}
	if !o.Hot(e.cfg.Now(), e.cfg.HotGrace) {
		// Out of the hot set: it never changes again, and stays out of
		// the read model.
		e.metrics.coldReads.WithLabelValues(unknownStore).Inc()
		e.cold.add(o)
		return o, nil
	}
	e.publish(ctx, o, false)
	return o, nil
}

func notFound(id string) error {
	return eligo.Errorf(eligo.ENOTFOUND, "order %q does not exist", id)
}

// CreateOrder creates an order, or returns the existing one when the same
// order was created before (created=false). A different order under the same
// id is ECONFLICT.
func (e *Engine) CreateOrder(ctx context.Context, p *eligo.NewOrderParams, who string) (eligo.Order, bool, error) {
	sctx, span := startStoreCall(ctx, "CreateOrder", nil)
	o, created, err := e.cfg.Store.CreateOrder(sctx, &eligo.CreateOrderParams{Order: *p, Who: who})
	endStoreCall(span, err)
	if err != nil {
		return eligo.Order{}, false, err
	}
	if created {
		e.metrics.ordersCreated.Inc()
	}
	e.publish(ctx, o, created)
	return o, created, nil
}

// EventResult is the outcome of one event.
type EventResult struct {
	EventID string
	eligo.UpdateResult
}

// ApplyEvents applies a batch of events in one transaction and returns one
// result per event, in input order. An invalid event, or one for an unknown
// order, is rejected alone; the error return is for the batch as a whole.
// With WithEventContexts, each event's change is published under its own
// context.
func (e *Engine) ApplyEvents(ctx context.Context, events []eligo.Event) ([]EventResult, error) {
	perEvent := eventContexts(ctx, len(events))
	results := make([]EventResult, len(events))
	updates := make([]eligo.Update, 0, len(events))
	index := make([]int, 0, len(events))
	for i := range events {
		ev := &events[i]
		results[i].EventID = ev.EventID
		if err := ev.Validate(); err != nil {
			results[i].Outcome, results[i].Err = eligo.OutcomeRejected, err
			continue
		}
		updates = append(updates, eligo.EventUpdate(ev, eligo.WhoService))
		index = append(index, i)
	}
	if len(updates) > 0 {
		sctx, span := startStoreCall(ctx, "UpdateOrders", perEvent, attribute.Int("eligo.updates", len(updates)))
		applied, err := e.cfg.Store.UpdateOrders(sctx, updates)
		endStoreCall(span, err)
		if err != nil {
			return nil, err
		}
		for j, r := range applied {
			results[index[j]].UpdateResult = r
		}
	}
	for i := range results {
		r := &results[i]
		e.metrics.events.WithLabelValues(r.Outcome).Inc()
		if r.Outcome == eligo.OutcomeApplied || repairs(&r.UpdateResult) {
			pctx := ctx
			if perEvent != nil {
				pctx = perEvent[i]
			}
			e.publish(pctx, r.Order, true)
		}
	}
	return results, nil
}

// Cancel cancels an order if the policy allows it at this instant, decided
// against the store under the order's lock, never against the read model.
// A refusal is ECONFLICT with the decision's reason; cancelling a cancelled
// order returns it unchanged.
func (e *Engine) Cancel(ctx context.Context, id, who string) (eligo.Order, error) {
	return e.CancelIfMatch(ctx, id, who, nil)
}

// CancelIfMatch is TakeAction of cancel under the precondition m.
func (e *Engine) CancelIfMatch(ctx context.Context, id, who string, m *eligo.VersionMatch) (eligo.Order, error) {
	return e.TakeAction(ctx, id, eligo.ActionCancel, who, nil, m)
}

// TakeAction takes a policy action on an order if the policy in force
// allows it at this instant, decided by eligo.TakeAction against the store
// under the order's lock, never against the read model, with the
// precondition m (nil: none) checked under the same lock: a change
// committed after the caller read the order still fails it
// (EPRECONDITION). A refusal is ECONFLICT with the decision's reason; an
// action the policy lacks is ENOTFOUND. The version it writes records the
// action, the policy version it was decided under and params.
func (e *Engine) TakeAction(ctx context.Context, id, action, who string, params json.RawMessage, m *eligo.VersionMatch) (eligo.Order, error) {
	p := e.Policy()
	u, err := eligo.ActionUpdate(id, who, p, action, params, m)
	if err != nil {
		return eligo.Order{}, err
	}
	sctx, span := startStoreCall(ctx, "UpdateOrders", nil, attribute.Int("eligo.updates", 1), attribute.String("eligo.action", action))
	results, err := e.cfg.Store.UpdateOrders(sctx, []eligo.Update{u})
	endStoreCall(span, err)
	if err != nil {
		return eligo.Order{}, err
	}
	r := results[0]
	known := p.Action(action) != nil
	count := func(result, cancelResult string) {
		if known {
			e.metrics.actions.WithLabelValues(action, result).Inc()
		}
		if action == eligo.ActionCancel && cancelResult != "" {
			e.metrics.cancels.WithLabelValues(cancelResult).Inc()
		}
	}
	switch r.Outcome {
	case eligo.OutcomeApplied:
		count(actionTaken, cancelCancelled)
		e.publish(ctx, r.Order, true)
		return r.Order, nil
	case eligo.OutcomeRejected:
		if eligo.ErrorCode(r.Err) == eligo.EPRECONDITION {
			count(actionPreconditionFailed, cancelPreconditionFailed)
		} else if eligo.ErrorReason(r.Err) != "" && eligo.ErrorCode(r.Err) == eligo.ECONFLICT {
			count(actionRefused, cancelRefused)
		}
		return eligo.Order{}, r.Err
	}
	count(actionAlreadyDone, cancelAlreadyCancelled)
	if r.Order.ID != "" { // a retried cancel: see repairs
		e.publish(ctx, r.Order, true)
	}
	return r.Order, nil
}

// Versions returns an order's version records, oldest first.
func (e *Engine) Versions(ctx context.Context, orderID string) ([]eligo.Version, error) {
	sctx, span := startStoreCall(ctx, "FindVersions", nil)
	vs, err := e.cfg.Store.FindVersions(sctx, orderID)
	endStoreCall(span, err)
	return vs, err
}

// Version returns one version record.
func (e *Engine) Version(ctx context.Context, id int64) (eligo.Version, error) {
	sctx, span := startStoreCall(ctx, "FindVersion", nil)
	v, err := e.cfg.Store.FindVersion(sctx, id)
	endStoreCall(span, err)
	return v, err
}

// repairs reports whether r is a repeat of a change that may have committed
// without reaching the read model and the listeners: a duplicate event,
// delivered again because the process that applied it first died between
// its commit and publish (Kafka redelivers, a client retries). Publishing
// the stored order then costs a version-guarded Put that changes nothing,
// or repairs a shared read model (Redis) that would otherwise answer the
// older version until the order's next change; listeners ignore versions
// they have.
func repairs(r *eligo.UpdateResult) bool {
	return r.Outcome == eligo.OutcomeDuplicate && r.Order.ID != ""
}

// publish moves the read model to o and, when o is a change, tells the
// listeners. A read-model failure is logged, not returned: the change is
// committed, and the model is a projection that a later write or a rebuild
// repairs.
func (e *Engine) publish(ctx context.Context, o eligo.Order, changed bool) {
	e.negative.forget(o.ID)
	if _, err := e.cfg.ReadModel.Put(ctx, o); err != nil {
		// Debug, as in Order: the read model logs its outages itself.
		e.cfg.Logger.DebugContext(ctx, "read model put failed", "order_id", o.ID, "version", o.Version, "err", err)
	}
	if !changed {
		return
	}
	for _, l := range e.cfg.Listeners {
		l.OrderChanged(ctx, o)
	}
}
