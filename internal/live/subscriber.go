package live

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo/internal/tracing"
)

// Kinds of push, the label of the push metrics.
const (
	pushInitial  = "initial"  // the first document of a stream
	pushChange   = "change"   // the order changed
	pushBoundary = "boundary" // a decision changed by the clock alone
	pushPolicy   = "policy"   // the policy changed (PolicyChanged)
)

// Reasons a connection ended, the label of the closed metric.
const (
	endClientClosed  = "client_closed"  // the client closed or went away
	endDeadPeer      = "dead_peer"      // nothing read for two ping intervals
	endWriteFailed   = "write_failed"   // a write failed or timed out
	endShutdown      = "shutdown"       // the hub shut down
	endTokenExpired  = "token_expired"  // the customer's token expired
	endProtocolError = "protocol_error" // the client broke the WebSocket protocol
)

// Reasons a stream was refused, the label of the refused metric.
const (
	refusedMaxConns            = "max_conns"              // --live-max-conns reached
	refusedMaxConnsPerCustomer = "max_conns_per_customer" // the customer's limit reached
	refusedShuttingDown        = "shutting_down"          // the hub is shutting down
	refusedBadRequest          = "bad_request"            // neither a WebSocket nor an event stream
	refusedTokenExpired        = "token_expired"          // the token expires before the stream could start
)

// message is one eligibility document, encoded once and shared, read-only,
// by every subscriber of the order.
type message struct {
	version   int64
	policySeq int64 // the sequence number of the policy it was decided under
	asOf      time.Time
	doc       []byte    // the document's JSON
	kind      string    // pushInitial, pushChange, pushBoundary or pushPolicy
	cause     time.Time // when the change became known or the boundary fell due
	// from is the span of the change (valid only when tracing is on): each
	// write of the document is a span under it.
	from trace.SpanContext
}

// newerThan orders documents by version, then by the policy they were
// decided under, then by the instant they describe. The policy comes
// before the instant: a document of the new policy replaces one of the old
// policy built at the same instant, or later by a clock that went back.
func (m *message) newerThan(o *message) bool {
	switch {
	case o == nil:
		return true
	case m.version != o.version:
		return m.version > o.version
	case m.policySeq != o.policySeq:
		return m.policySeq > o.policySeq
	}
	return m.asOf.After(o.asOf)
}

// subscriber is one open stream of one order's documents.
//
// Its mailbox holds at most one document, the newest not yet written, plus
// the control frames that are due. Whoever fills it while no write is in
// progress becomes the writer (flush) and empties it; everyone else just
// leaves their document there. So frames never interleave and a slow
// connection is always sent the latest state.
type subscriber struct {
	hub      *Hub
	proto    protocol
	conn     net.Conn
	raw      syscall.RawConn // nil when the connection has no descriptor (TLS): then every write waits in a goroutine
	in       io.Reader       // the connection, after any bytes buffered during the upgrade
	orderID  string
	customer string // "" for a service

	// Guarded by the mu of the shard of orderID.
	watch    *watch
	expiry   deadline
	nextPing time.Time

	mu        sync.Mutex
	newest    *message // the newest document accepted; older ones are dropped
	pending   *message // the newest document not yet written
	pong      []byte   // an answer to a client's ping, not yet written
	pingDue   bool
	final     []byte // the last frame; once set no document is written
	closeNow  bool   // close the connection once final is written, not waiting for the peer
	finished  bool   // final has been taken for writing
	flushing  bool   // a writer owns the connection
	endReason string
}

// offer puts m in the mailbox unless the subscriber already has a document
// at least as new, and writes it if no write is in progress.
func (s *subscriber) offer(m *message) {
	s.mu.Lock()
	if !m.newerThan(s.newest) || s.final != nil {
		s.mu.Unlock()
		return
	}
	if s.pending != nil {
		s.hub.metrics.coalesced.Inc()
	}
	s.newest, s.pending = m, m
	s.startFlushLocked()
}

// hasVersion reports whether the subscriber has been given a document of
// version v or later.
func (s *subscriber) hasVersion(v int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newest != nil && s.newest.version >= v
}

// closing reports whether the last frame has been asked for.
func (s *subscriber) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.final != nil
}

// ping asks for a keep-alive frame.
func (s *subscriber) ping() {
	s.mu.Lock()
	s.pingDue = true
	s.startFlushLocked()
}

// answer asks for frame, the answer to a client's ping, to be written.
func (s *subscriber) answer(frame []byte) {
	s.mu.Lock()
	s.pong = frame
	s.startFlushLocked()
}

// finish asks for frame to be the last one written; closeNow closes the
// connection right after it instead of waiting for the peer to close. It
// reports false when a last frame was already set. why is the reason the
// connection ends, kept unless one was recorded before.
func (s *subscriber) finish(frame []byte, closeNow bool, why string) bool {
	s.mu.Lock()
	if s.final != nil {
		s.mu.Unlock()
		return false
	}
	if s.endReason == "" {
		s.endReason = why
	}
	s.final, s.closeNow = frame, closeNow
	s.startFlushLocked()
	return true
}

// close ends the stream the way its protocol says goodbye: a WebSocket
// close frame with code (then the peer has the write timeout to answer), or
// a final SSE event.
func (s *subscriber) close(code int, reason, why string) {
	frame, waitForPeer := s.proto.goodbye(code, reason)
	if s.finish(frame, !waitForPeer, why) && waitForPeer {
		_ = s.conn.SetReadDeadline(time.Now().Add(s.hub.cfg.WriteTimeout))
	}
}

// abort closes the connection at once; the reader goroutine then sees the
// error and the subscriber leaves the hub.
func (s *subscriber) abort(why string) {
	s.ended(why)
	_ = s.conn.Close()
}

// ended records why the connection ends, unless a reason was recorded.
func (s *subscriber) ended(why string) {
	s.mu.Lock()
	if s.endReason == "" {
		s.endReason = why
	}
	s.mu.Unlock()
}

// startFlushLocked makes the caller the writer if no write is in progress.
// It is called with s.mu held and releases it.
func (s *subscriber) startFlushLocked() {
	if s.flushing {
		s.mu.Unlock()
		return
	}
	s.flushing = true
	s.mu.Unlock()
	s.flush()
}

// take returns the next frame to write and, for a document, its message.
// When there is nothing to write it gives up the writer's role and returns
// nil; after the final frame it returns nil and keeps the role, so nothing
// more is ever written.
func (s *subscriber) take() ([]byte, *message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.finished:
		return nil, nil
	case s.final != nil:
		s.finished = true
		return s.final, nil
	case s.pong != nil:
		f := s.pong
		s.pong = nil
		return f, nil
	case s.pending != nil:
		m := s.pending
		s.pending = nil
		return s.proto.document(m.doc), m
	case s.pingDue:
		s.pingDue = false
		return s.proto.keepAlive(), nil
	}
	s.flushing = false
	return nil, nil
}

// flush writes what the mailbox holds without waiting. When the socket
// takes only part of a frame, the rest and everything after it is written
// by a goroutine that may wait (flushWaiting).
func (s *subscriber) flush() {
	for {
		frame, m := s.take()
		if frame == nil {
			return
		}
		n := 0
		if s.raw != nil {
			var err error
			if n, err = writeNow(s.raw, frame); err != nil {
				s.abort(endWriteFailed)
				return
			}
		}
		if n < len(frame) {
			go s.flushWaiting(frame[n:], m)
			return
		}
		s.written(m)
	}
}

// flushWaiting writes rest, the unwritten end of m's frame, then everything
// the mailbox gets meanwhile, each write under the write timeout. By the
// time the socket drains, the mailbox holds only the newest document.
func (s *subscriber) flushWaiting(rest []byte, m *message) {
	for frame := rest; frame != nil; frame, m = s.take() {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.hub.cfg.WriteTimeout))
		if _, err := s.conn.Write(frame); err != nil {
			s.abort(endWriteFailed)
			return
		}
		// Cleared before the writer's role can pass on: writeNow fails at
		// once on a connection whose write deadline has passed.
		_ = s.conn.SetWriteDeadline(time.Time{})
		s.written(m)
	}
}

// written accounts for a frame that reached the socket: a document is a
// push; the final frame may close the connection.
func (s *subscriber) written(m *message) {
	if m != nil {
		s.hub.metrics.pushed(m)
		if m.from.IsValid() {
			s.tracePush(m)
		}
		return
	}
	s.mu.Lock()
	closeNow := s.finished && s.closeNow
	s.mu.Unlock()
	if closeNow {
		_ = s.conn.Close()
	}
}

// readEnded records why the reader stopped: a deadline means a dead peer,
// a closed connection keeps the reason of whoever closed it.
func (s *subscriber) readEnded(err error) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.ended(endDeadPeer)
	case errors.Is(err, net.ErrClosed):
		s.ended(endWriteFailed)
	default:
		s.ended(endClientClosed)
	}
}

// tracePush records the write of m as a "live push" span under the span of
// the change, from when the change became known to now, when the document
// reached the socket.
func (s *subscriber) tracePush(m *message) {
	ctx := trace.ContextWithSpanContext(context.Background(), m.from)
	_, span := tracing.Tracer().Start(ctx, "live push", trace.WithTimestamp(m.cause), trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("eligo.order_id", s.orderID), attribute.Int64("eligo.version", m.version), attribute.String("eligo.push", m.kind)))
	span.End()
}
