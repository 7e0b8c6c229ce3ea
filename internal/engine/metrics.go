package engine

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
)

// The results of cancels and of unknown-order reads, as labelled.
const (
	cancelCancelled          = "cancelled"
	cancelRefused            = "refused"
	cancelAlreadyCancelled   = "already_cancelled"
	cancelPreconditionFailed = "precondition_failed"
	actionTaken              = "taken"
	actionRefused            = "refused"
	actionAlreadyDone        = "already_done"
	actionPreconditionFailed = "precondition_failed"
	unknownCached            = "cached"
	unknownStore             = "store"
)

type metrics struct {
	ordersCreated prometheus.Counter
	events        *prometheus.CounterVec
	cancels       *prometheus.CounterVec
	actions       *prometheus.CounterVec
	policySeq     prometheus.Gauge
	policyChanges prometheus.Counter
	unknownReads  *prometheus.CounterVec
	coldReads     *prometheus.CounterVec
	repairs       prometheus.Counter
	storeUp       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		ordersCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_orders_created_total",
			Help: "Orders created.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_events_total",
			Help: "Events received, by outcome (applied, duplicate, stale, rejected).",
		}, []string{"outcome"}),
		cancels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_cancels_total",
			Help: "Cancel commands, by result (cancelled, refused, already_cancelled, precondition_failed).",
		}, []string{"result"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_actions_total",
			Help: "Policy actions taken through POST /v1/orders/{id}/actions/{action} or /cancel, by action and result (taken, refused, already_done, precondition_failed).",
		}, []string{"action", "result"}),
		policySeq: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eligo_policy_seq",
			Help: "The sequence number of the policy this replica decides under (0: the built-in policy or the --policy file, none applied to the store yet). Replicas that differ for long have not switched.",
		}),
		policyChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_policy_changes_total",
			Help: "Times this replica switched to a newer policy version.",
		}),
		unknownReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_unknown_order_reads_total",
			Help: "Reads of order ids that do not exist, by how they were answered: cached (the negative cache, no store read), store.",
		}, []string{"result"}),
		coldReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_cold_order_reads_total",
			Help: "Reads of orders out of the hot set (ended more than --hot-grace ago), by how they were answered: cached (the engine's small cache of such orders), store.",
		}, []string{"result"}),
		repairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_read_model_repairs_total",
			Help: "Orders the read model held at an older version than the store's committed changes (a writer died between commit and publish), published again by the repair.",
		}),
		storeUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eligo_store_available",
			Help: "1 when the system of record answered the last ping (every few seconds, and at every /readyz) within its deadline, 0 when it did not.",
		}),
	}
	// Every series exists from the start, at zero, so that alerts can be
	// written against it.
	for _, o := range []string{eligo.OutcomeApplied, eligo.OutcomeDuplicate, eligo.OutcomeStale, eligo.OutcomeRejected} {
		m.events.WithLabelValues(o)
	}
	for _, r := range []string{cancelCancelled, cancelRefused, cancelAlreadyCancelled, cancelPreconditionFailed} {
		m.cancels.WithLabelValues(r)
	}
	for _, r := range []string{unknownCached, unknownStore} {
		m.unknownReads.WithLabelValues(r)
		m.coldReads.WithLabelValues(r) // the same two answers: cached, store
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.ordersCreated, m.events, m.cancels, m.actions, m.policySeq, m.policyChanges, m.unknownReads, m.coldReads, m.repairs, m.storeUp} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// actionsAtZero makes the series of every action of p exist, at zero.
func (m *metrics) actionsAtZero(p *eligo.Policy) {
	for _, a := range p.ActionNames() {
		for _, r := range []string{actionTaken, actionRefused, actionAlreadyDone, actionPreconditionFailed} {
			m.actions.WithLabelValues(a, r)
		}
	}
}
