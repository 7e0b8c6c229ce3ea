package httpapi

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the HTTP metrics, labelled by route pattern (never the raw
// path, so the label set is bounded) and status code.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	// routes caches the children of the vectors per route, so the hot path
	// neither hashes labels nor allocates. It grows to one entry per route.
	mu     sync.RWMutex
	routes map[string]*routeMetrics
}

type routeMetrics struct {
	latency prometheus.Observer
	codes   map[int]prometheus.Counter // the common codes, filled up front
	route   string
}

// newMetrics returns the HTTP metrics, registered with reg unless reg is
// nil. A second server on the same reg shares the first one's collectors.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eligo_http_requests_total",
			Help: "HTTP requests, by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "eligo_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern (live streams: time connected).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
		routes: make(map[string]*routeMetrics),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.latency, err = register(reg, m.latency); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c with reg, or returns the collector of the same
// description that reg already holds.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("httpapi: registering metrics: %w", err)
	}
	return c, nil
}

// prepare creates the series of every route and of the codes it may
// answer (documentedCodes), at zero, before the first request.
func (m *metrics) prepare(codes map[string][]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for route, cs := range codes {
		rm := m.routes[route]
		if rm == nil {
			rm = &routeMetrics{latency: m.latency.WithLabelValues(route), codes: make(map[int]prometheus.Counter, len(cs)), route: route}
			m.routes[route] = rm
		}
		for _, c := range cs {
			rm.codes[c] = m.requests.WithLabelValues(route, strconv.Itoa(c))
		}
	}
}

// route returns the metrics of one route pattern: one that prepare did not
// know gets its series on its first request.
func (m *metrics) route(pattern string) *routeMetrics {
	m.mu.RLock()
	rm := m.routes[pattern]
	m.mu.RUnlock()
	if rm != nil {
		return rm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if rm = m.routes[pattern]; rm != nil {
		return rm
	}
	rm = &routeMetrics{latency: m.latency.WithLabelValues(pattern), codes: map[int]prometheus.Counter{}, route: pattern}
	m.routes[pattern] = rm
	return rm
}

// observe records one request. The codes map is written only before the
// first request (prepare) or before rm is shared (route), so reading it
// here needs no lock; a code it lacks is looked up in the vector.
func (m *metrics) observe(rm *routeMetrics, code int, seconds float64) {
	c, ok := rm.codes[code]
	if !ok {
		c = m.requests.WithLabelValues(rm.route, strconv.Itoa(code))
	}
	c.Inc()
	rm.latency.Observe(seconds)
}
