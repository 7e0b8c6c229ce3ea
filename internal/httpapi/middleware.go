package httpapi

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/eligo/eligo"
)

// statusWriter remembers the status code written through it. It passes
// Flush and Hijack through, so live streams (SSE, WebSocket) work behind it,
// and unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher for streams.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker for WebSocket upgrades and for streams
// that write their own response. A hijacked request is counted as 101.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// code returns the status the handler sent, 200 when it wrote nothing.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// measure counts requests and times them by route pattern and code.
func measure(m *metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := statusWriters.Get().(*statusWriter)
			sw.ResponseWriter, sw.status = w, 0
			defer func() {
				// The mux set r.Pattern on this same request; a miss has "/".
				m.observe(m.route(routeLabel(r.Pattern)), sw.code(), time.Since(start).Seconds())
				sw.ResponseWriter = nil
				statusWriters.Put(sw)
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// routeLabel is the metrics and log label of a route pattern.
func routeLabel(pattern string) string {
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	return pattern
}

// recoverPanics answers a panicking handler with a 500 problem and logs the
// panic with its stack. http.ErrAbortHandler is passed on, as net/http
// expects.
func recoverPanics(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "route", r.Pattern, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeProblem(w, r, statusOf(eligo.EINTERNAL), "internal error; it has been logged", "")
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// logRequests logs every request at debug level: method, route, path (never
// the query, which may hold an access token), status and duration. When
// debug is off it costs one Enabled call.
func logRequests(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !logger.Enabled(r.Context(), slog.LevelDebug) {
				next.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			logger.DebugContext(r.Context(), "request", "method", r.Method, "route", routeLabel(r.Pattern),
				"path", r.URL.Path, "status", sw.code(), "duration", time.Since(start))
		})
	}
}
