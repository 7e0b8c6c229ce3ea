package live

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

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

// ServeLive opens a stream of o's eligibility documents for p: a WebSocket
// when r asks for an upgrade, SSE when it accepts text/event-stream. The
// caller has authenticated p, checked that p may watch o, and written
// nothing.
//
// Before writing anything ServeLive may refuse with an *eligo.Error:
// EINVALID for a request that is neither, EUNAUTHORIZED for an expired
// token, ETOOMANY at a connection limit, EUNAVAILABLE while shutting down.
// A WebSocket version other than 13 it answers itself, 426 Upgrade
// Required with Sec-WebSocket-Version: 13 (RFC 6455, section 4.4), as
// problem+json, and returns nil.
// Once the connection is upgraded it returns nil; the stream then lives on
// without the caller's goroutine. A HEAD that would have been a stream is
// answered the stream's head, with no body and no stream, and returns nil.
func (h *Hub) ServeLive(w http.ResponseWriter, r *http.Request, o eligo.Order, p auth.Principal) error {
	proto, err := negotiate(r)
	if err != nil {
		h.metrics.refused.WithLabelValues(refusedBadRequest).Inc()
		if errors.Is(err, errWebSocketVersion) {
			w.Header().Set("Sec-WebSocket-Version", "13")
		}
		return err
	}
	if !p.Service && !p.ExpiresAt.IsZero() && !h.cfg.Now().Before(p.ExpiresAt) {
		h.metrics.refused.WithLabelValues(refusedTokenExpired).Inc()
		return eligo.Errorf(eligo.EUNAUTHORIZED, "the access token has expired; get a new one")
	}
	customer := ""
	if !p.Service {
		customer = p.CustomerID
	}
	if err := h.reserve(customer); err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		// The head a GET would have, without its body (RFC 9110, section
		// 9.3.2): no stream, so the slot is given back at once. Only an
		// event stream gets here; a WebSocket upgrade must be a GET.
		h.release(customer)
		setSSEHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		return nil
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

// reserve takes a connection slot for a customer ("" for a service). The
// counts are kept under connMu alone, so the limits are exact whatever
// shard the stream's order is in.
func (h *Hub) reserve(customer string) error {
	h.connMu.Lock()
	defer h.connMu.Unlock()
	switch {
	case h.closing.Load():
		h.metrics.refused.WithLabelValues(refusedShuttingDown).Inc()
		return eligo.Errorf(eligo.EUNAVAILABLE, "the server is shutting down; reconnect in a moment")
	case h.conns >= h.cfg.MaxConns:
		h.metrics.refused.WithLabelValues(refusedMaxConns).Inc()
		return eligo.Errorf(eligo.ETOOMANY, "this server holds its limit of %d live streams; retry later", h.cfg.MaxConns)
	case customer != "" && h.perCustomer[customer] >= h.cfg.MaxConnsPerCustomer:
		h.metrics.refused.WithLabelValues(refusedMaxConnsPerCustomer).Inc()
		return eligo.Errorf(eligo.ETOOMANY, "customer %q already has %d live streams open, the limit; close one first", customer, h.cfg.MaxConnsPerCustomer)
	}
	h.conns++
	if customer != "" {
		h.perCustomer[customer]++
	}
	return nil
}

// release gives back a slot taken by reserve, and tells a waiting
// Shutdown.
func (h *Hub) release(customer string) {
	h.connMu.Lock()
	h.conns--
	if customer != "" {
		if h.perCustomer[customer]--; h.perCustomer[customer] <= 0 {
			delete(h.perCustomer, customer)
		}
	}
	h.connMu.Unlock()
	select {
	case h.left <- struct{}{}:
	default:
	}
}

// join registers s as a watcher of o, in o's shard, and sends it the
// current document.
func (h *Hub) join(ctx context.Context, s *subscriber, o eligo.Order, expires time.Time) {
	sh := h.shardOf(o.ID)
	sh.mu.Lock()
	w := sh.watches[o.ID]
	if w == nil {
		w = &watch{order: o}
		w.boundary = deadline{index: -1, watch: w}
		sh.watches[o.ID] = w
	}
	w.subs = append(w.subs, s)
	s.watch = w
	sh.subs[s] = struct{}{}
	s.nextPing = time.Now().Add(h.cfg.PingInterval)
	if !expires.IsZero() {
		sh.arm(&s.expiry, expires)
	}
	// Read under the shard's lock: either Shutdown collects this shard's
	// streams after s was added, or s sees closing here.
	closing := h.closing.Load()
	sh.mu.Unlock()
	h.metrics.subscribers.WithLabelValues(s.proto.name()).Inc()

	// Every commit from now on reaches the watch through OrderChanged (or
	// the fan-out); one made before is in the read model, maybe newer than o.
	if cur, ok, err := h.cfg.ReadModel.Get(ctx, o.ID); err != nil {
		h.cfg.Logger.WarnContext(ctx, "live: read model get failed; starting from the order as given", "order_id", o.ID, "err", err)
	} else if ok {
		h.advance(cur, time.Now(), trace.SpanContext{})
	}

	sh.mu.Lock()
	var m *message
	if !s.hasVersion(w.order.Version) {
		m = h.build(sh, w, h.cfg.Now(), pushInitial, time.Now())
	}
	sh.mu.Unlock()
	if m != nil {
		s.offer(m)
	}
	if closing {
		s.close(CloseGoingAway, "server shutting down", endShutdown)
	}
}

// leave removes s from its shard once its stream has ended, with the
// order's boundary when s was its last watcher, and gives back its slot.
func (h *Hub) leave(s *subscriber) {
	_ = s.conn.Close()
	// Accounted before the slot is given back, so a count of zero means
	// the metrics are complete.
	s.mu.Lock()
	why := s.endReason
	s.mu.Unlock()
	if why == "" {
		why = endClientClosed
	}
	h.metrics.subscribers.WithLabelValues(s.proto.name()).Dec()
	h.metrics.closed.WithLabelValues(why).Inc()

	sh := h.shardOf(s.orderID)
	sh.mu.Lock()
	delete(sh.subs, s)
	sh.timers.remove(&s.expiry)
	w := s.watch
	if i := slices.Index(w.subs, s); i >= 0 {
		w.subs = slices.Delete(w.subs, i, i+1)
	}
	if len(w.subs) == 0 {
		delete(sh.watches, s.orderID)
		sh.timers.remove(&w.boundary)
	}
	sh.mu.Unlock()
	h.release(s.customer)
}
