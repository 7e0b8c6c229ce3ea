package live

import (
	"net/http"
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
