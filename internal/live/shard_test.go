package live

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// spreadIDs returns n order ids and checks that they spread over several shards,
// so that a test using them crosses shard boundaries.
func spreadIDs(t *testing.T, h *Hub, n int) []string {
	t.Helper()
	ids := make([]string, n)
	shards := map[*shard]bool{}
	for i := range ids {
		ids[i] = fmt.Sprintf("ord-%d", i)
		shards[h.shardOf(ids[i])] = true
	}
	require.Greater(t, len(shards), 1, "the ids fall in one shard")
	return ids
}

// The connection limits count every shard together: streams of one
// customer, and of services, opened at once on orders spread over the
// shards, are admitted up to the limits exactly; Shutdown then closes
// every one of them, whatever its shard.
func TestLimitsAndShutdownSpanShards(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cfg: Config{MaxConns: 20, MaxConnsPerCustomer: 5}})
	ids := spreadIDs(t, b.hub, 16)
	for _, id := range ids {
		b.order(t, id, "cust-a", time.Now().Add(time.Hour))
	}

	type dialed struct {
		c      *websocket.Conn
		status int
	}
	dialAll := func(h func() http.Header) []dialed {
		out := make([]dialed, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				c, resp, _ := websocket.Dial(context.Background(), wsURL(b, id), &websocket.DialOptions{HTTPHeader: h(), HTTPClient: b.client})
				out[i] = dialed{c, resp.StatusCode}
			})
		}
		wg.Wait()
		return out
	}
	count := func(ds []dialed) (open []*websocket.Conn, refused int) {
		for _, d := range ds {
			switch d.status {
			case http.StatusSwitchingProtocols:
				t.Cleanup(func() { _ = d.c.CloseNow() })
				readWS(t, d.c)
				open = append(open, d.c)
			case http.StatusTooManyRequests:
				refused++
			default:
				t.Fatalf("dial answered %d", d.status)
			}
		}
		return open, refused
	}
	// 16 at once of one customer: exactly 5 open.
	cust, refused := count(dialAll(func() http.Header { return customer("cust-a", time.Time{}) }))
	require.Len(t, cust, 5)
	require.Equal(t, 11, refused)
	// 16 at once of a service: exactly the 15 slots left of MaxConns open.
	svc, refused := count(dialAll(func() http.Header { return nil }))
	require.Len(t, svc, 15)
	require.Equal(t, 1, refused)
	require.Equal(t, 20, b.conns())
	require.EqualValues(t, 11, b.metric("eligo_live_refused_total", "reason", "max_conns_per_customer"))
	require.EqualValues(t, 1, b.metric("eligo_live_refused_total", "reason", "max_conns"))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.hub.Shutdown(ctx) }()
	for _, c := range append(cust, svc...) {
		_, _, err := c.Read(ctx)
		require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "err %v", err)
	}
	require.NoError(t, <-done)
	require.Zero(t, b.conns())
	require.EqualValues(t, 20, b.closedBy(endShutdown))
	watches, timers := b.kept()
	require.Zero(t, watches)
	require.Zero(t, timers)
}

// Each shard fires its own deadlines: orders in different shards, with
// boundaries at different instants, are each pushed at exactly their own
// instant of the bubble's clock.
func TestBoundariesFireInEveryShard(t *testing.T) {
	t.Parallel()
	inBubble(t, setupOpts{}, func(t *testing.T, b *testBundle) {
		ids := spreadIDs(t, b.hub, 8)
		start := time.Now()
		conns := make([]*websocket.Conn, len(ids))
		for i, id := range ids {
			b.order(t, id, "cust-1", start.Add(time.Duration(i+1)*100*time.Millisecond))
			conns[i] = dialWS(t, b, id, nil)
			require.False(t, readWS(t, conns[i]).Actions["cancel"].Allowed)
		}
		for i, c := range conns {
			d := readWS(t, c)
			require.Equal(t, start.Add(time.Duration(i+1)*100*time.Millisecond), time.Now(), "%s pushed at its boundary", ids[i])
			require.True(t, d.Actions["cancel"].Allowed, ids[i])
		}
	})
}
