package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
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
	// Fanout carries changes between replicas; nil means Local.
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

// protocol is a way of streaming documents: WebSocket or SSE.
type protocol interface {
	name() string
	// upgrade turns the request into a stream and returns its connection
	// and what to read the client from.
	upgrade(w http.ResponseWriter, r *http.Request) (net.Conn, io.Reader, error)
	// document frames one document.
	document(doc []byte) []byte
	// keepAlive is the frame sent every ping interval.
	keepAlive() []byte
	// goodbye is the last frame, and whether the peer answers it.
	goodbye(code int, reason string) (frame []byte, waitForPeer bool)
	// readLoop reads the client until the stream ends, then leaves the hub.
	readLoop(s *subscriber)
}

// New returns a hub. Call Run for boundaries and pings, and Shutdown to
// close every stream. New panics without Config.ReadModel or Config.Policy,
// or when the metrics are already registered with Config.Registerer.
func New(cfg Config) *Hub {
	if cfg.ReadModel == nil || cfg.Policy == nil {
		panic("live: New needs Config.ReadModel and Config.Policy")
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
	return &Hub{
		cfg:         cfg,
		metrics:     newMetrics(cfg.Registerer),
		watches:     make(map[string]*watch),
		subs:        make(map[*subscriber]struct{}),
		perCustomer: make(map[string]int),
		wake:        make(chan struct{}, 1),
		left:        make(chan struct{}, 1),
	}
}

// ServeLive opens a stream of o's eligibility documents for p: a WebSocket
// when r asks for an upgrade, SSE when it accepts text/event-stream. The
// caller has authenticated p, checked that p may watch o, and written
// nothing.
//
// Before writing anything ServeLive may refuse with an *eligo.Error:
// EINVALID for a request that is neither, EUNAUTHORIZED for an expired
// token, ETOOMANY at a connection limit, EUNAVAILABLE while shutting down.
// Once the connection is upgraded it returns nil; the stream then lives on
// without the caller's goroutine.
func (h *Hub) ServeLive(w http.ResponseWriter, r *http.Request, o eligo.Order, p auth.Principal) error {
	proto, err := negotiate(r)
	if err != nil {
		h.metrics.refused.WithLabelValues("bad_request").Inc()
		return err
	}
	if !p.Service && !p.ExpiresAt.IsZero() && !h.cfg.Now().Before(p.ExpiresAt) {
		h.metrics.refused.WithLabelValues("token_expired").Inc()
		return eligo.Errorf(eligo.EUNAUTHORIZED, "the access token has expired; get a new one")
	}
	customer := ""
	if !p.Service {
		customer = p.CustomerID
	}
	if err := h.reserve(customer); err != nil {
		return err
	}
	conn, in, err := proto.upgrade(w, r)
	if err != nil {
		// The handshake was checked before, so this is the connection
		// failing; whatever could be answered has been.
		h.release(customer)
		h.cfg.Logger.DebugContext(r.Context(), "live upgrade failed", "order_id", o.ID, "err", err)
		return nil
	}
	s := &subscriber{hub: h, proto: proto, conn: conn, raw: rawConn(conn), in: in, orderID: o.ID, customer: customer}
	s.expiry = deadline{index: -1, sub: s}
	var expires time.Time
	if !p.Service {
		expires = p.ExpiresAt
	}
	h.join(r.Context(), s, o, expires)
	go proto.readLoop(s)
	return nil
}

// negotiate picks the protocol r asks for.
func negotiate(r *http.Request) (protocol, error) {
	switch {
	case isWebSocket(r):
		return websocketProtocol{}, checkWebSocket(r)
	case !wantsEventStream(r):
		return nil, eligo.Errorf(eligo.EINVALID, "this is a stream: open it as a WebSocket, or as Server-Sent Events with Accept: text/event-stream")
	case r.ProtoMajor != 1:
		return nil, eligo.Errorf(eligo.EINVALID, "the event stream is served over HTTP/1.1; this request is %s", r.Proto)
	}
	return sseProtocol{}, nil
}

// reserve takes a connection slot for a customer ("" for a service).
func (h *Hub) reserve(customer string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closing:
		h.metrics.refused.WithLabelValues("shutting_down").Inc()
		return eligo.Errorf(eligo.EUNAVAILABLE, "the server is shutting down; reconnect in a moment")
	case h.conns >= h.cfg.MaxConns:
		h.metrics.refused.WithLabelValues("max_conns").Inc()
		return eligo.Errorf(eligo.ETOOMANY, "this server holds its limit of %d live streams; retry later", h.cfg.MaxConns)
	case customer != "" && h.perCustomer[customer] >= h.cfg.MaxConnsPerCustomer:
		h.metrics.refused.WithLabelValues("max_conns_per_customer").Inc()
		return eligo.Errorf(eligo.ETOOMANY, "customer %q already has %d live streams open, the limit; close one first", customer, h.cfg.MaxConnsPerCustomer)
	}
	h.conns++
	if customer != "" {
		h.perCustomer[customer]++
	}
	return nil
}

// release gives back a slot taken by reserve.
func (h *Hub) release(customer string) {
	h.mu.Lock()
	h.releaseLocked(customer)
	h.mu.Unlock()
	h.notifyLeft()
}

// notifyLeft tells a waiting Shutdown that a slot was given back.
func (h *Hub) notifyLeft() {
	select {
	case h.left <- struct{}{}:
	default:
	}
}

func (h *Hub) releaseLocked(customer string) {
	h.conns--
	if customer == "" {
		return
	}
	if h.perCustomer[customer]--; h.perCustomer[customer] <= 0 {
		delete(h.perCustomer, customer)
	}
}

// join registers s as a watcher of o and sends it the current document.
func (h *Hub) join(ctx context.Context, s *subscriber, o eligo.Order, expires time.Time) {
	h.mu.Lock()
	w := h.watches[o.ID]
	if w == nil {
		w = &watch{order: o}
		w.boundary = deadline{index: -1, watch: w}
		h.watches[o.ID] = w
	}
	w.subs = append(w.subs, s)
	s.watch = w
	h.subs[s] = struct{}{}
	s.nextPing = time.Now().Add(h.cfg.PingInterval)
	if !expires.IsZero() {
		h.arm(&s.expiry, expires)
	}
	closing := h.closing
	h.mu.Unlock()
	h.metrics.subscribers.WithLabelValues(s.proto.name()).Inc()

	// Every commit from now on reaches the watch through OrderChanged (or
	// the fan-out); one made before is in the read model, maybe newer than o.
	if cur, ok, err := h.cfg.ReadModel.Get(ctx, o.ID); err != nil {
		h.cfg.Logger.WarnContext(ctx, "live: read model get failed; starting from the order as given", "order_id", o.ID, "err", err)
	} else if ok {
		h.advance(cur, time.Now())
	}

	h.mu.Lock()
	var m *message
	if !s.hasVersion(w.order.Version) {
		m = h.build(w, h.cfg.Now(), pushInitial, time.Now())
	}
	h.mu.Unlock()
	if m != nil {
		s.offer(m)
	}
	if closing {
		s.close(CloseGoingAway, "server shutting down", endShutdown)
	}
}

// leave removes s from the hub once its stream has ended, with the
// order's boundary when s was its last watcher.
func (h *Hub) leave(s *subscriber) {
	_ = s.conn.Close()
	h.mu.Lock()
	delete(h.subs, s)
	h.timers.remove(&s.expiry)
	w := s.watch
	if i := slices.Index(w.subs, s); i >= 0 {
		w.subs = slices.Delete(w.subs, i, i+1)
	}
	if len(w.subs) == 0 {
		delete(h.watches, s.orderID)
		h.timers.remove(&w.boundary)
	}
	h.releaseLocked(s.customer)
	h.mu.Unlock()

	s.mu.Lock()
	why := s.endReason
	s.mu.Unlock()
	if why == "" {
		why = endClientClosed
	}
	h.metrics.subscribers.WithLabelValues(s.proto.name()).Dec()
	h.metrics.closed.WithLabelValues(why).Inc()
	h.notifyLeft()
}

// OrderChanged implements engine.Listener: it announces the change to the
// other replicas and, if someone here watches the order and o is newer than
// what the hub has, pushes the new document. It never waits on I/O: writes
// that would block move to a goroutine.
func (h *Hub) OrderChanged(o eligo.Order) {
	h.cfg.Fanout.Publish(o.ID, o.Version)
	h.advance(o, time.Now())
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
		h.advance(o, time.Now())
	}
}

// advance moves a watched order to snapshot o if o is newer, and pushes
// the new document to its subscribers. cause is when the change was learnt.
func (h *Hub) advance(o eligo.Order, cause time.Time) {
	h.mu.Lock()
	w := h.watches[o.ID]
	if w == nil || o.Version <= w.order.Version {
		h.mu.Unlock()
		return
	}
	w.order = o
	m := h.build(w, h.cfg.Now(), pushChange, cause)
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
		fanout <- h.cfg.Fanout.Listen(ctx, func(id string, v int64) { h.remoteChanged(ctx, id, v) })
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
