package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// RequestIDHeader carries a request's id: taken from the request when it
// holds a usable one (a proxy's or the client's), generated otherwise, and
// always echoed in the response, in its problem document (request_id) and
// in its log line.
const RequestIDHeader = "X-Request-Id"

// DefaultSlowRequest is Deps.SlowRequest when zero.
const DefaultSlowRequest = 250 * time.Millisecond

// maxRequestIDLen bounds a request id taken from the request.
const maxRequestIDLen = 128

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// observe is the outermost middleware: it gives every request its id,
// counts and times it by route pattern and code, names its span (when
// tracing is on, TraceHandler) after the route, and logs it, with the
// trace_id and span_id of a recorded span: at info when
// it failed (4xx or 5xx) or took longer than slow, at debug otherwise.
// Live streams are never slow: their duration is the time connected. The
// log line holds the path, never the query, which may hold a token.
func observe(m *metrics, logger *slog.Logger, slow time.Duration) func(http.Handler) http.Handler {
	ids := newRequestIDs()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := requestID(r, ids, w.Header())
			sw := statusWriters.Get().(*statusWriter)
			*sw = statusWriter{ResponseWriter: w, upgrade: isUpgrade(r)}
			defer func() {
				took := time.Since(start)
				code, hijacked := sw.code(), sw.hijacked
				// The mux set r.Pattern on this same request; a miss has "/".
				route := routeLabel(r.Pattern)
				m.observe(m.route(route), code, took.Seconds())
				*sw = statusWriter{}
				statusWriters.Put(sw)
				level := slog.LevelDebug
				if code >= 400 || (!hijacked && took >= slow) {
					level = slog.LevelInfo
				}
				span := trace.SpanFromContext(r.Context())
				if span.IsRecording() {
					span.SetName(route)
					span.SetAttributes(attribute.String("http.route", routePath(r.Pattern)), attribute.String("eligo.request_id", id))
				}
				if logger.Enabled(r.Context(), level) {
					attrs := [8]slog.Attr{slog.String("request_id", id),
						slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
						slog.Int("status", code), slog.Duration("duration", took)}
					n := 6
					if sc := span.SpanContext(); sc.IsValid() {
						attrs[6], attrs[7] = slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String())
						n = 8
					}
					logger.LogAttrs(r.Context(), level, "request", attrs[:n]...)
				}
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// requestID returns the request's own id when it is usable (1 to 128
// printable ASCII characters, no spaces), else a new one, and sets it in
// the response header h.
func requestID(r *http.Request, ids *requestIDs, h http.Header) string {
	if v := r.Header[RequestIDHeader]; len(v) == 1 && usableRequestID(v[0]) {
		h[RequestIDHeader] = v[:1:1] // shared with the request; an append copies
		return v[0]
	}
	v := ids.next()
	h[RequestIDHeader] = v
	return v[0]
}

func usableRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// requestIDs generates ids unique across replicas and restarts: a random
// prefix chosen at start and a counter.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

// next returns a new id as a header value ([]string{id}).
func (g *requestIDs) next() []string {
	var buf [32]byte
	out := append(buf[:0], g.prefix...)
	return headerValue(strconv.AppendUint(out, g.n.Add(1), 36))
}

// requestIDOf returns the id observe gave the request answered through w.
func requestIDOf(w http.ResponseWriter) string {
	if v := w.Header()[RequestIDHeader]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// isUpgrade reports whether r asks to switch protocols (a WebSocket).
func isUpgrade(r *http.Request) bool { return len(r.Header["Upgrade"]) > 0 }
