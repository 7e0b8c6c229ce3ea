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
	unknownCached            = "cached"
	unknownStore             = "store"
)

type metrics struct {
	ordersCreated prometheus.Counter
	events        *prometheus.CounterVec
	cancels       *prometheus.CounterVec
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
	for _, c := range []prometheus.Collector{m.ordersCreated, m.events, m.cancels, m.unknownReads, m.coldReads, m.repairs, m.storeUp} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
