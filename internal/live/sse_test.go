package live

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An SSE stream gets a heartbeat comment every ping interval (on the
// bubble's clock: the hub checks every quarter interval).
func TestSSEHeartbeats(t *testing.T) {
	t.Parallel()
	const interval = 2 * time.Second
	inBubble(t, setupOpts{cfg: Config{PingInterval: interval}}, func(t *testing.T, b *testBundle) {
		b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
		s := dialSSE(t, b, "ord-1", nil)
		s.nextDoc(t)
		last := time.Now()
		for range 3 {
			ev, err := s.next()
			require.NoError(t, err)
			require.Equal(t, sseEvent{comment: "ping"}, ev)
			gap := time.Since(last)
			require.GreaterOrEqual(t, gap, interval)
			require.LessOrEqual(t, gap, interval+interval/4)
			last = time.Now()
		}
	})
}

func TestSSEClientGoneLeavesTheHub(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	s := dialSSE(t, b, "ord-1", nil)
	s.nextDoc(t)
	require.Equal(t, 1, b.conns())
	require.NoError(t, s.resp.Body.Close())
	b.waitConns(t, 0)
}

func TestWantsEventStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		accept []string
		want   bool
	}{
		{"plain", []string{"text/event-stream"}, true},
		{"among others", []string{"application/json, text/event-stream;q=0.9"}, true},
		{"second header", []string{"application/json", "text/event-stream"}, true},
		{"json only", []string{"application/json"}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(tt.accept)
			require.Equal(t, tt.want, wantsEventStream(r))
		})
	}
}

// An SSE response carries Date, as every 2xx from a server with a clock
// must (RFC 9110, section 6.6.1): the head is written on the hijacked
// connection, past net/http, which would have added it.
func TestSSECarriesDate(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	s := dialSSE(t, b, "ord-1", nil)
	date, err := http.ParseTime(s.resp.Header.Get("Date"))
	require.NoError(t, err, "Date: %q", s.resp.Header.Get("Date"))
	require.WithinDuration(t, time.Now(), date, time.Minute)
	s.nextDoc(t)
}

// HEAD on the stream answers the head a GET would have, and no body
// (RFC 9110, section 9.3.2): the connection stays an HTTP one, so the next
// request on it is answered, and no stream is opened.
func TestSSEHeadAnswersHeadersOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	conn, err := b.dial(t.Context(), "tcp", strings.TrimPrefix(b.url, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	// Pipelined: the HEAD, then a request for a path with no route.
	_, err = io.WriteString(conn, "HEAD /orders/ord-1 HTTP/1.1\r\nHost: eligo\r\nAccept: text/event-stream\r\n\r\n"+
		"GET /nothing-here HTTP/1.1\r\nHost: eligo\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	head, err := http.ReadResponse(br, &http.Request{Method: http.MethodHead})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, head.StatusCode)
	require.Equal(t, "text/event-stream", head.Header.Get("Content-Type"))
	require.Equal(t, "no-cache", head.Header.Get("Cache-Control"))
	require.NotEmpty(t, head.Header.Get("Date"))
	// Whatever follows is the answer to the second request, not a "data:"
	// line of a stream.
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 404 Not Found\r\n", line)
	require.Equal(t, 0, b.conns(), "HEAD opened a stream")
}
