package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eligibility"
)

// Defaults of the zero Config fields.
const (
	DefaultMaxConns            = 10000
	DefaultMaxConnsPerCustomer = 8
	DefaultPingInterval        = 25 * time.Second
	DefaultWriteTimeout        = 10 * time.Second
)

// WebSocket close codes the hub sends (RFC 6455, section 7.4.1).
const (
	CloseGoingAway       = 1001 // the server is shutting down
	CloseProtocolError   = 1002 // the client broke the protocol
	ClosePolicyViolation = 1008 // the customer's access token expired
)

// Config holds the hub's dependencies and limits. ReadModel and Policy are
// required; every other zero field takes its default.
type Config struct {
	ReadModel eligo.ReadModel
	Policy    *eligo.Policy
	// Now is the clock documents are decided at; nil means time.Now.
	Now func() time.Time
	// MaxConns bounds the streams open in this process, and
	// MaxConnsPerCustomer those of one customer (services are bounded only
	// by MaxConns). Keep MaxConns below the process's file limit.
	MaxConns            int
	MaxConnsPerCustomer int
	// PingInterval is how often a WebSocket is pinged (an SSE stream gets a
	// comment); one that sends nothing for two intervals is closed.
	PingInterval time.Duration
	// WriteTimeout bounds a write that waits on a full socket, and how long
	// a peer has to answer a close.
	WriteTimeout time.Duration
	Logger       *slog.Logger
	// Registerer gets the hub's metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// Fanout brings the changes of other replicas; nil means Local.
	Fanout Fanout
}

// Hub holds every live stream of the process: it pushes each watched
// order's document on every change (OrderChanged, the Fanout) and at every
// boundary (Run), and serves new streams (ServeLive). It implements
// engine.Listener. It is safe for concurrent use.
type Hub struct {
	cfg     Config
	metrics *metrics

	mu          sync.Mutex
	watches     map[string]*watch        // by order id, only orders someone watches
	subs        map[*subscriber]struct{} // every open stream
	conns       int                      // open streams and upgrades in progress
	perCustomer map[string]int
	timers      timerHeap
	closing     bool

	wake chan struct{} // the earliest deadline moved earlier
	left chan struct{} // a stream ended
}

// watch is one watched order: its newest snapshot, its subscribers, and
// the deadline of its next boundary. Guarded by Hub.mu.
type watch struct {
	order    eligo.Order
	subs     []*subscriber
	boundary deadline
}

// New returns a hub. Call Run for boundaries and pings, and Shutdown to
// close every stream. New fails without Config.ReadModel or Config.Policy,
// on a negative limit, or when the metrics cannot be registered with
// Config.Registerer (they already are).
func New(cfg Config) (*Hub, error) {
	if cfg.ReadModel == nil || cfg.Policy == nil {
		return nil, errors.New("live: New needs Config.ReadModel and Config.Policy")
	}
	if cfg.MaxConns < 0 || cfg.MaxConnsPerCustomer < 0 || cfg.PingInterval < 0 || cfg.WriteTimeout < 0 {
		return nil, errors.New("live: New needs limits and intervals of zero (the default) or more")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxConnsPerCustomer <= 0 {
		cfg.MaxConnsPerCustomer = DefaultMaxConnsPerCustomer
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Fanout == nil {
		cfg.Fanout = Local{}
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Hub{
		cfg:         cfg,
		metrics:     m,
		watches:     make(map[string]*watch),
		subs:        make(map[*subscriber]struct{}),
		perCustomer: make(map[string]int),
		wake:        make(chan struct{}, 1),
		left:        make(chan struct{}, 1),
	}, nil
}

// OrderChanged implements engine.Listener: if someone here watches the
// order and o is newer than what the hub has, it pushes the new document.
// It never waits on I/O: writes that would block move to a goroutine. The
// other replicas hear of the change from the fan-out's own listener. When
// ctx holds a span (tracing is on), each write of the document is a
// "live push" span under it.
func (h *Hub) OrderChanged(ctx context.Context, o eligo.Order) {
	h.advance(o, time.Now(), trace.SpanContextFromContext(ctx))
}

// remoteChanged is the fan-out's delivery: another replica committed
// version of an order. The snapshot comes from the shared read model.
func (h *Hub) remoteChanged(ctx context.Context, orderID string, version int64) {
	h.mu.Lock()
	w := h.watches[orderID]
	stale := w == nil || w.order.Version >= version
	h.mu.Unlock()
	if stale {
		return
	}
	o, ok, err := h.cfg.ReadModel.Get(ctx, orderID)
	if err != nil {
		h.cfg.Logger.WarnContext(ctx, "live: read model get failed for a remote change", "order_id", orderID, "version", version, "err", err)
		return
	}
	if ok {
		h.advance(o, time.Now(), trace.SpanContextFromContext(ctx))
	}
}

// advance moves a watched order to snapshot o if o is newer, and pushes
// the new document to its subscribers. cause is when the change was learnt,
// and from the span of the change, when valid, each write of the document
// is traced (subscriber.written).
func (h *Hub) advance(o eligo.Order, cause time.Time, from trace.SpanContext) {
	h.mu.Lock()
	w := h.watches[o.ID]
	if w == nil || o.Version <= w.order.Version {
		h.mu.Unlock()
		return
	}
	w.order = o
	m := h.build(w, h.cfg.Now(), pushChange, cause)
	m.from = from
	subs := slices.Clone(w.subs)
	h.mu.Unlock()
	for _, s := range subs {
		s.offer(m)
	}
}

// build returns the document of w's order at now and arms w's boundary at
// its until. Called with h.mu held.
func (h *Hub) build(w *watch, now time.Time, kind string, cause time.Time) *message {
	d := eligibility.Build(&w.order, h.cfg.Policy, "", now)
	h.arm(&w.boundary, d.Until())
	return &message{version: d.Version, asOf: d.AsOf, doc: d.AppendJSON(make([]byte, 0, 256)), kind: kind, cause: cause}
}

// arm sets deadline d and wakes Run when d became the earliest. Called with
// h.mu held.
func (h *Hub) arm(d *deadline, at time.Time) {
	if h.timers.set(d, at) {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// Run pushes documents at their boundaries, expires tokens, pings streams
// and listens to the fan-out, until ctx is done; then it returns nil.
// Streams stay open after Run returns: Shutdown closes them.
func (h *Hub) Run(ctx context.Context) error {
	fanout := make(chan error, 1)
	go func() {
		fanout <- h.listenFanout(ctx)
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	pings := time.NewTicker(min(h.cfg.PingInterval/4, time.Second))
	defer pings.Stop()
	for {
		h.mu.Lock()
		next := h.timers.next()
		h.mu.Unlock()
		if next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(next.Sub(h.cfg.Now()))
		}
		select {
		case <-ctx.Done():
			return <-fanout
		case err := <-fanout:
			if ctx.Err() != nil {
				return err
			}
			if err == nil {
				err = errors.New("listener stopped")
			}
			return fmt.Errorf("live: fan-out: %w", err)
		case <-h.wake:
		case <-timer.C:
			h.fire(h.cfg.Now())
		case now := <-pings.C:
			h.ping(now)
		}
	}
}

// fire handles every deadline due at now: a boundary pushes the order's
// document as of now, an expired token closes its stream.
func (h *Hub) fire(now time.Time) {
	type push struct {
		m    *message
		subs []*subscriber
	}
	var pushes []push
	var expired []*subscriber
	h.mu.Lock()
	for d := h.timers.popDue(now); d != nil; d = h.timers.popDue(now) {
		if d.watch != nil {
			pushes = append(pushes, push{h.build(d.watch, now, pushBoundary, d.at), slices.Clone(d.watch.subs)})
		} else {
			expired = append(expired, d.sub)
		}
	}
	h.mu.Unlock()
	for _, p := range pushes {
		for _, s := range p.subs {
			s.offer(p.m)
		}
	}
	for _, s := range expired {
		s.close(ClosePolicyViolation, "access token expired", endTokenExpired)
	}
}

// ping sends a keep-alive on every stream whose ping is due at now.
func (h *Hub) ping(now time.Time) {
	var due []*subscriber
	h.mu.Lock()
	for s := range h.subs {
		if !now.Before(s.nextPing) {
			s.nextPing = now.Add(h.cfg.PingInterval)
			due = append(due, s)
		}
	}
	h.mu.Unlock()
	for _, s := range due {
		s.ping()
	}
}

// Shutdown refuses new streams, says goodbye on every open one (WebSocket
// close 1001, a last SSE event) and waits until they have closed. When ctx
// ends first it closes the rest at once and returns an error.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	open := h.openLocked()
	h.mu.Unlock()
	for _, s := range open {
		s.close(CloseGoingAway, "server shutting down", endShutdown)
	}
	for {
		h.mu.Lock()
		n := h.conns
		h.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-h.left:
		case <-ctx.Done():
			h.mu.Lock()
			open = h.openLocked()
			h.mu.Unlock()
			for _, s := range open {
				s.abort(endShutdown)
			}
			return fmt.Errorf("live: %d streams still open at the shutdown deadline were closed: %w", n, ctx.Err())
		}
	}
}

func (h *Hub) openLocked() []*subscriber {
	open := make([]*subscriber, 0, len(h.subs))
	for s := range h.subs {
		open = append(open, s)
	}
	return open
}
