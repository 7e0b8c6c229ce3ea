package httpapi

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"

	"github.com/eligo/eligo"
)

// statusWriter remembers the status code written through it. It passes
// Flush and Hijack through, so live streams (SSE, WebSocket) work behind it,
// and unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status   int
	upgrade  bool // the request asks to switch protocols (a WebSocket)
	hijacked bool // a stream took the connection over
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
// that write their own response: an upgrade (a WebSocket) is counted as
// 101, a stream that answers 200 itself (SSE) as 200.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
		if w.status == 0 && w.upgrade {
			w.status = http.StatusSwitchingProtocols
		}
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
