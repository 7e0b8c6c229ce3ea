package live

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	subscribers *prometheus.GaugeVec
	pushes      *prometheus.CounterVec
	delay       *prometheus.HistogramVec
	coalesced   prometheus.Counter
	refused     *prometheus.CounterVec
	closed      *prometheus.CounterVec
}

// newMetrics builds the hub's metrics and registers them with reg, unless
// reg is nil; registering twice with one reg is an error.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		subscribers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "eligo_live_subscribers",
			Help: "Open live streams, by transport (websocket, sse).",
		}, []string{"transport"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_live_pushes_total",
			Help: "Documents written to live streams, by kind (initial, change, boundary, policy).",
		}, []string{"kind"}),
		delay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eligo_live_push_delay_seconds",
			Help:    "From the change reaching the hub (the boundary falling due, the policy changing) to the document written to the socket, by kind.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"kind"}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eligo_live_coalesced_total",
			Help: "Documents replaced by a newer one before a slow stream could take them.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_live_refused_total",
			Help: "Live streams refused, by reason (max_conns, max_conns_per_customer, shutting_down, bad_request, token_expired).",
		}, []string{"reason"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_live_closed_total",
			Help: "Live streams ended, by reason (client_closed, dead_peer, write_failed, shutdown, token_expired, protocol_error).",
		}, []string{"reason"}),
	}
	// Every series exists from the start, at zero, so that alerts can be
	// written against it.
	for _, t := range []string{websocketProtocol{}.name(), sseProtocol{}.name()} {
		m.subscribers.WithLabelValues(t)
	}
	for _, k := range []string{pushInitial, pushChange, pushBoundary, pushPolicy} {
		m.pushes.WithLabelValues(k)
		m.delay.WithLabelValues(k)
	}
	for _, r := range []string{refusedMaxConns, refusedMaxConnsPerCustomer, refusedShuttingDown, refusedBadRequest, refusedTokenExpired} {
		m.refused.WithLabelValues(r)
	}
	for _, r := range []string{endClientClosed, endDeadPeer, endWriteFailed, endShutdown, endTokenExpired, endProtocolError} {
		m.closed.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.subscribers, m.pushes, m.delay, m.coalesced, m.refused, m.closed} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("live: registering metrics: %w", err)
		}
	}
	return m, nil
}

// pushed accounts for a document written to a socket.
func (m *metrics) pushed(msg *message) {
	m.pushes.WithLabelValues(msg.kind).Inc()
	m.delay.WithLabelValues(msg.kind).Observe(time.Since(msg.cause).Seconds())
}
