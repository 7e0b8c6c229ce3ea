package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// DefaultBodyTimeout bounds the reading of a request body when
// Deps.BodyTimeout is zero.
const DefaultBodyTimeout = 10 * time.Second

// Harden puts the API's own guards in front of a handler that routes to
// it (cmd/eligo's mux for River UI and the demo page), so they hold before
// any other mux sees the request: every request body gets the read deadline
// (a zero bodyTimeout is DefaultBodyTimeout), and a path not in its clean
// form is a problem+json 404 rather than a mux's redirect.
func Harden(h http.Handler, bodyTimeout time.Duration) http.Handler {
	if bodyTimeout <= 0 {
		bodyTimeout = DefaultBodyTimeout
	}
	return limitBodyTime(bodyTimeout)(refuseUncleanPaths(slog.New(slog.DiscardHandler))(h))
}

// limitBodyTime gives the body of every request that has one a read
// deadline of timeout from when its headers were read, so a client that
// promises a body and sends it slowly (or never) is cut: the read fails,
// the request is answered 400 and the connection closed. The deadline is
// lifted when the body has been read to its end, so a long write after it
// is not cut, and requests without a body (every GET, the live streams)
// are not touched at all.
//
// Authentication reads headers only and runs before any handler reads the
// body; an answer written while the body is unread (401, 403, 404, ...)
// closes the connection; when the handler is done the answer is flushed and
// the rest of the body drained for at most drainTime (so that the client
// reads the answer rather than a reset), and net/http does not wait for it
// any longer.
func limitBodyTime(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, timed := r.Body.(*timedBody); timed || r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			rc := http.NewResponseController(w)
			// Not supported by every writer (httptest's recorder); the body
			// is then as bounded as the writer's connection.
			_ = rc.SetReadDeadline(time.Now().Add(timeout))
			b := &timedBody{ReadCloser: r.Body, rc: rc, timeout: timeout}
			r.Body = b
			next.ServeHTTP(w, r)
			if !b.ended {
				// Answered without the whole body (and with Connection:
				// close). Send the answer now, then read and drop what the
				// client is still sending, for a bounded time and size:
				// closing a socket with unread data makes the kernel reset
				// the connection, and a client still writing its body would
				// get the reset instead of the answer. A slow sender is not
				// waited for longer than drainTime.
				_ = rc.Flush()
				_ = rc.SetReadDeadline(time.Now().Add(min(timeout, drainTime)))
				_, _ = io.CopyN(io.Discard, b.ReadCloser, drainBytes)
				_ = rc.SetReadDeadline(time.Now())
			}
		})
	}
}

// How long and how much of an unread body is drained after an early answer.
const (
	drainTime  = time.Second
	drainBytes = 8 << 20
)

// timedBody is a request body under a read deadline.
type timedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	ended   bool // read to its end: the deadline is lifted
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.ended {
		b.ended = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// bodyUnread reports whether r has a body that was not read to its end.
func bodyUnread(r *http.Request) bool {
	b, ok := r.Body.(*timedBody)
	return ok && !b.ended
}

// bodyTimeout is the read deadline of r's body, zero when none.
func bodyTimeout(r *http.Request) time.Duration {
	if b, ok := r.Body.(*timedBody); ok {
		return b.timeout
	}
	return 0
}
