package live

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
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
	// Policy is the policy documents are decided under at start; a later
	// one comes through PolicyChanged (the hub is an engine policy
	// listener), and the hub decides under it from then on (Hub.Policy).
	Policy *eligo.Policy
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
// order's document on every change (OrderChanged, the Fanout), at every
// boundary (Run) and on every change of the policy (PolicyChanged), and
// serves new streams (ServeLive). It implements engine.Listener and
// engine.PolicyListener. It is safe for concurrent use.
//
// Its state is split by order id into shardCount shards (see shard), each
// with its own lock, its own deadlines and its own timer goroutine, so that
// pushes, boundaries and joins for orders of different shards never wait
// on each other, and no lock is ever held over every subscriber. Only the
// connection counts, which must be exact across all shards, have a lock
// of their own (connMu), taken when a stream opens or ends, never on a
// push.
type Hub struct {
	cfg     Config
	metrics *metrics

	// policy is what documents are decided under (Hub.Policy); policyAt
	// is when the hub learnt of it, in Unix nanoseconds, the cause of the
	// policy pushes (see policy.go).
	policy   eligo.LatestPolicy
	policyAt atomic.Int64

	seed   maphash.Seed // picks an order's shard
	shards [shardCount]shard

	connMu      sync.Mutex
	conns       int // open streams and upgrades in progress
	perCustomer map[string]int
	closing     atomic.Bool // set under connMu by Shutdown; read anywhere

	left chan struct{} // a stream ended
}

// watch is one watched order: its newest snapshot, its subscribers, and
// the deadline of its next boundary. Guarded by its shard's mu.
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
	h := &Hub{
		cfg:         cfg,
		metrics:     m,
		seed:        maphash.MakeSeed(),
		perCustomer: make(map[string]int),
		left:        make(chan struct{}, 1),
	}
	h.policy.Offer(cfg.Policy)
	for i := range h.shards {
		h.shards[i].init()
	}
	return h, nil
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
	sh := h.shardOf(orderID)
	sh.mu.Lock()
	w := sh.watches[orderID]
	stale := w == nil || w.order.Version >= version
	sh.mu.Unlock()
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
	sh := h.shardOf(o.ID)
	sh.mu.Lock()
	w := sh.watches[o.ID]
	if w == nil || o.Version <= w.order.Version {
		sh.mu.Unlock()
		return
	}
	w.order = o
	m := h.build(sh, w, h.cfg.Now(), pushChange, cause)
	m.from = from
	subs := slices.Clone(w.subs)
	sh.mu.Unlock()
	for _, s := range subs {
		s.offer(m)
	}
}

// build returns the document of w's order at now, under the policy in
// force, and arms w's boundary at its until. Called with sh.mu held, sh
// being w's shard: a policy change re-decides the shard under the same
// lock (redecide), so a document built under the policy before it is
// always followed by one under the new policy.
func (h *Hub) build(sh *shard, w *watch, now time.Time, kind string, cause time.Time) *message {
	p := h.policy.Load()
	d := eligibility.Build(&w.order, p, "", now)
	sh.arm(&w.boundary, d.Until())
	return &message{version: d.Version, policySeq: p.Version().Seq, asOf: d.AsOf, doc: d.AppendJSON(make([]byte, 0, 256)), kind: kind, cause: cause}
}

// Run pushes documents at their boundaries, expires tokens, pings streams
// and listens to the fan-out, until ctx is done; then it returns nil.
// Each shard's deadlines are fired by a goroutine of its own; pings go
// shard by shard from one ticker. Streams stay open after Run returns:
// Shutdown closes them.
func (h *Hub) Run(ctx context.Context) error {
	fanout := make(chan error, 1)
	go func() {
		fanout <- h.listenFanout(ctx)
	}()
	timersCtx, stopTimers := context.WithCancel(ctx)
	var timers sync.WaitGroup
	defer timers.Wait()
	defer stopTimers()
	for i := range h.shards {
		timers.Go(func() { h.runTimers(timersCtx, &h.shards[i]) })
	}
	pings := time.NewTicker(min(h.cfg.PingInterval/4, time.Second))
	defer pings.Stop()
	for {
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
		case now := <-pings.C:
			h.ping(now)
		}
	}
}

// Shutdown refuses new streams, says goodbye on every open one (WebSocket
// close 1001, a last SSE event) and waits until they have closed. When ctx
// ends first it closes the rest at once and returns an error.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.connMu.Lock()
	h.closing.Store(true)
	h.connMu.Unlock()
	// A stream that joins a shard after the shard was collected here sees
	// closing set (join reads it under the shard's lock) and says goodbye
	// itself.
	for _, s := range h.subscribers() {
		s.close(CloseGoingAway, "server shutting down", endShutdown)
	}
	for {
		n := h.openConns()
		if n == 0 {
			return nil
		}
		select {
		case <-h.left:
		case <-ctx.Done():
			for _, s := range h.subscribers() {
				s.abort(endShutdown)
			}
			return fmt.Errorf("live: %d streams still open at the shutdown deadline were closed: %w", n, ctx.Err())
		}
	}
}

// openConns returns the count of open streams and upgrades in progress.
func (h *Hub) openConns() int {
	h.connMu.Lock()
	defer h.connMu.Unlock()
	return h.conns
}
