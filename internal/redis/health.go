package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// health follows whether Redis answers the read model, from the outcome of
// every read and write, so that an outage is logged twice, at its start and
// at its end with a count of what failed in between, rather than once per
// failed call; the gauge eligo_redis_available and ReadModel.Degraded show
// it meanwhile.
type health struct {
	log   *slog.Logger
	gauge prometheus.Gauge

	// isDown mirrors down, so that a call Redis answered costs one atomic
	// load while there is no outage.
	isDown atomic.Bool
	// epoch counts outages. A call notes it when it starts (begin), and
	// only a call that started during the outage can end it: a reply to a
	// call sent before Redis went away says nothing about whether it is
	// back.
	epoch atomic.Uint64

	mu                        sync.Mutex
	down                      bool
	since                     time.Time
	failedReads, failedWrites int64
	lastErr                   error
}

func newHealth(log *slog.Logger, reg prometheus.Registerer) (*health, error) {
	h := &health{log: log, gauge: prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "eligo_redis_available",
		Help: "1 while Redis answers the read model, 0 during an outage (reads then go to the store, writes are retried).",
	})}
	h.gauge.Set(1)
	if err := register(reg, h.gauge); err != nil {
		return nil, err
	}
	return h, nil
}

// Kinds of failed calls.
const (
	opRead    = "read"
	opWrite   = "write"
	opConnect = "connect"
)

// failed notes a failed call; the first of an outage logs it.
func (h *health) failed(op string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch op {
	case opRead:
		h.failedReads++
	case opWrite:
		h.failedWrites++
	}
	h.lastErr = err
	if h.down {
		return
	}
	h.down, h.since = true, time.Now()
	h.epoch.Add(1)
	h.isDown.Store(true)
	h.gauge.Set(0)
	msg := "redis unavailable: reads go to the store, writes are retried until it is back"
	if op == opConnect {
		msg = "redis unreachable at start: starting without it; reads go to the store, and the client connects by itself"
	}
	h.log.LogAttrs(context.Background(), slog.LevelError, msg, slog.String("op", op), slog.Any("err", err))
}

// begin returns what a call that starts now passes to ok.
func (h *health) begin() uint64 { return h.epoch.Load() }

// ok notes a call that Redis answered, which began as begin said; the
// first after an outage that began during it logs the outage's end.
func (h *health) ok(began uint64) {
	if !h.isDown.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down || began != h.epoch.Load() {
		return
	}
	h.log.LogAttrs(context.Background(), slog.LevelWarn, "redis available again",
		slog.Duration("outage", time.Since(h.since).Round(time.Millisecond)),
		slog.Int64("failed_reads", h.failedReads), slog.Int64("failed_writes", h.failedWrites),
		slog.Any("last_err", h.lastErr))
	h.down, h.failedReads, h.failedWrites, h.lastErr = false, 0, 0, nil
	h.isDown.Store(false)
	h.gauge.Set(1)
}

// degraded returns "" while Redis answers, and what is wrong otherwise.
func (h *health) degraded() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return ""
	}
	return fmt.Sprintf("redis unavailable since %s (reads go to the store): %v", h.since.UTC().Format(time.RFC3339), h.lastErr)
}
