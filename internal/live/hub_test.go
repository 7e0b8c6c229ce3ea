package live

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eligibility"
)

func TestFirstMessageIsCurrentDocument(t *testing.T) {
	t.Parallel()
	var stale eligo.Order
	b := setup(t, setupOpts{lookup: func(string) (eligo.Order, bool) { return stale, true }})
	stale = b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	// A change committed between the caller's lookup and the subscription:
	// the first message has it, not the order the caller handed over.
	_, err := b.rm.Put(context.Background(), arrive(stale))
	require.NoError(t, err)

	check := func(t *testing.T, d doc) {
		require.Equal(t, "ord-1", d.OrderID)
		require.EqualValues(t, 2, d.Version)
		require.False(t, d.Actions["cancel"].Allowed)
		require.Equal(t, "driver_at_doorstep", d.Actions["cancel"].Reason)
		require.WithinDuration(t, time.Now(), d.AsOf, 2*time.Second)
	}
	t.Run("websocket", func(t *testing.T) {
		check(t, readWS(t, dialWS(t, b, "ord-1", nil)))
	})
	t.Run("sse", func(t *testing.T) {
		check(t, dialSSE(t, b, "ord-1", nil).nextDoc(t))
	})
}

func TestFirstMessageIsTheDocumentJSON(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	b := setup(t, setupOpts{cfg: Config{Now: func() time.Time { return now }}})
	o := b.order(t, "ord-1", "cust-1", now.Add(10*time.Minute))
	d := eligibility.Build(&o, eligo.DefaultPolicy(), "", now)
	want := d.AppendJSON(nil)

	c := dialWS(t, b, "ord-1", nil)
	_, got, err := c.Read(context.Background())
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))

	ev, err := dialSSE(t, b, "ord-1", nil).next()
	require.NoError(t, err)
	require.Equal(t, string(want), ev.data)
}

func TestPushOnArrival(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	o := b.order(t, "ord-1", "cust-1", time.Now().Add(-time.Minute)) // promise broken: cancel allowed
	ws := dialWS(t, b, "ord-1", nil)
	sse := dialSSE(t, b, "ord-1", nil)
	require.True(t, readWS(t, ws).Actions["cancel"].Allowed)
	require.True(t, sse.nextDoc(t).Actions["cancel"].Allowed)

	b.commit(t, arrive(o))
	for name, d := range map[string]doc{"websocket": readWS(t, ws), "sse": sse.nextDoc(t)} {
		require.EqualValues(t, 2, d.Version, name)
		require.False(t, d.Actions["cancel"].Allowed, name)
		require.Equal(t, "driver_at_doorstep", d.Actions["cancel"].Reason, name)
	}
}

// The button appears at promised_at with no event at all: the hub's timer
// pushes the document when its until falls due, at that instant of the
// bubble's clock, neither before nor after.
func TestPushAtBoundaryWithoutEvent(t *testing.T) {
	t.Parallel()
	inBubble(t, setupOpts{}, func(t *testing.T, b *testBundle) {
		promised := time.Now().Add(300 * time.Millisecond)
		b.order(t, "ord-1", "cust-1", promised)
		ws := dialWS(t, b, "ord-1", nil)
		sse := dialSSE(t, b, "ord-1", nil)

		for name, first := range map[string]doc{"websocket": readWS(t, ws), "sse": sse.nextDoc(t)} {
			c := first.Actions["cancel"]
			require.False(t, c.Allowed, name)
			require.Equal(t, eligo.ReasonOutsideWindow, c.Reason, name)
			require.NotNil(t, c.Until, name)
			require.True(t, c.Until.Equal(promised.UTC()), "%s: until %v, want %v", name, c.Until, promised)
		}
		for name, d := range map[string]doc{"websocket": readWS(t, ws), "sse": sse.nextDoc(t)} {
			require.Equal(t, promised, time.Now(), "%s: pushed at the boundary", name)
			require.EqualValues(t, 1, d.Version, name)
			require.True(t, d.Actions["cancel"].Allowed, name)
			require.Equal(t, "sla_breached", d.Actions["cancel"].Reason, name)
			require.False(t, d.AsOf.Before(promised.Truncate(time.Millisecond)), name)
		}
	})
}

// smallBuffers makes the server's socket buffers tiny, so a client that
// stops reading backs up the server after a few documents.
func smallBuffers(l net.Listener) net.Listener { return smallBufListener{l} }

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A client that pauses while the order changes many times gets, when it
// reads again, the latest document after at most what the sockets held,
// never the whole history; and it stays connected.
func TestSlowReaderIsCoalescedToLatest(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{listener: smallBuffers})
	o := b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}}
	ws, _, err := websocket.Dial(context.Background(), wsURL(b, "ord-1"), &websocket.DialOptions{HTTPClient: client})
	require.NoError(t, err)
	defer ws.CloseNow()
	require.EqualValues(t, 1, readWS(t, ws).Version)

	const changes = 3000
	for range changes {
		o.Version++
		b.commit(t, o)
	}
	last := o.Version
	time.Sleep(100 * time.Millisecond) // the reader is still paused

	var got []int64
	for {
		d := readWS(t, ws)
		if len(got) > 0 {
			require.Greater(t, d.Version, got[len(got)-1], "documents go forward only")
		}
		got = append(got, d.Version)
		if d.Version == last {
			break
		}
	}
	t.Logf("%d changes while paused, %d documents read", changes, len(got))
	require.Less(t, len(got), changes/2, "a paused reader must not be sent every stale document")
	require.Positive(t, b.metric("eligo_live_coalesced_total"))

	o.Version++
	b.commit(t, o)
	require.Equal(t, o.Version, readWS(t, ws).Version, "the connection survives being slow")
	require.Equal(t, 1, b.conns())
}

// Concurrent writers report changes out of version order; a subscriber
// never goes back.
func TestOutOfOrderChangesNeverGoBack(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	o := b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	ws := dialWS(t, b, "ord-1", nil)
	require.EqualValues(t, 1, readWS(t, ws).Version)

	v2, v3 := o, o
	v2.Version, v3.Version = 2, 3
	b.commit(t, v3)
	b.hub.OrderChanged(context.Background(), v2) // late
	v4 := v3
	v4.Version = 4
	b.commit(t, v4)
	// 3 may be coalesced into 4 when both wait behind a write; 2 never comes.
	d := readWS(t, ws)
	if d.Version == 3 {
		d = readWS(t, ws)
	}
	require.EqualValues(t, 4, d.Version)
}

// Many goroutines committing one order's changes at once: the last
// document every subscriber gets is the newest version.
func TestConcurrentChangesEndAtLatest(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	o := b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	ws := dialWS(t, b, "ord-1", nil)
	require.EqualValues(t, 1, readWS(t, ws).Version)

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for v := int64(2 + g); v <= 401; v += 8 {
				c := o
				c.Version = v
				b.commit(t, c)
			}
		})
	}
	wg.Wait()
	for {
		if d := readWS(t, ws); d.Version == 401 {
			break
		}
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{cfg: Config{MaxConns: 3, MaxConnsPerCustomer: 1}})
	b.order(t, "ord-a", "cust-a", time.Now().Add(time.Hour))
	b.order(t, "ord-b", "cust-b", time.Now().Add(time.Hour))

	refused := func(t *testing.T, id string, h http.Header, status int) {
		t.Helper()
		_, resp, err := websocket.Dial(context.Background(), wsURL(b, id), &websocket.DialOptions{HTTPHeader: h})
		require.Error(t, err)
		require.Equal(t, status, resp.StatusCode)
	}
	a1 := dialWS(t, b, "ord-a", customer("cust-a", time.Time{}))
	readWS(t, a1)
	// Per customer: a second stream of cust-a is refused, cust-b is not.
	refused(t, "ord-a", customer("cust-a", time.Time{}), http.StatusTooManyRequests)
	readWS(t, dialWS(t, b, "ord-b", customer("cust-b", time.Time{})))
	// Per process: services are bounded by MaxConns only.
	dialSSE(t, b, "ord-a", nil).nextDoc(t)
	refused(t, "ord-a", nil, http.StatusTooManyRequests)
	require.EqualValues(t, 1, b.metric("eligo_live_refused_total", "reason", "max_conns"))
	require.EqualValues(t, 1, b.metric("eligo_live_refused_total", "reason", "max_conns_per_customer"))

	// Closing gives the slot back.
	require.NoError(t, a1.Close(websocket.StatusNormalClosure, ""))
	b.waitConns(t, 2)
	readWS(t, dialWS(t, b, "ord-a", customer("cust-a", time.Time{})))
}

func TestRefusesWhatIsNotAStream(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	resp, err := http.Get(b.srv.URL + "/orders/ord-1")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/orders/ord-1", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	resp, err = http.DefaultClient.Do(req) // no key, no version
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Zero(t, b.conns())
}

func TestRefusesExpiredToken(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	_, resp, err := websocket.Dial(context.Background(), wsURL(b, "ord-1"),
		&websocket.DialOptions{HTTPHeader: customer("cust-1", time.Now().Add(-time.Second))})
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestShutdownSaysGoingAway(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	ws := dialWS(t, b, "ord-1", nil)
	readWS(t, ws)
	sse := dialSSE(t, b, "ord-1", nil)
	sse.nextDoc(t)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- b.hub.Shutdown(ctx)
	}()
	_, _, err := ws.Read(context.Background())
	require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "err %v", err)
	ev, err := sse.next()
	require.NoError(t, err)
	require.Equal(t, sseEvent{name: "close", data: `{"code":1001,"reason":"server shutting down"}`}, ev)
	_, err = sse.next()
	require.Error(t, err) // the stream ends
	require.NoError(t, <-done)
	require.Zero(t, b.conns())
	require.EqualValues(t, 2, b.closedBy(endShutdown))

	_, resp, err := websocket.Dial(context.Background(), wsURL(b, "ord-1"), nil)
	require.Error(t, err)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

// A peer that does not answer the close is cut at the shutdown deadline
// (on the bubble's clock: Shutdown returns exactly then).
func TestShutdownDeadlineClosesTheRest(t *testing.T) {
	t.Parallel()
	inBubble(t, setupOpts{cfg: Config{WriteTimeout: time.Minute}}, func(t *testing.T, b *testBundle) {
		b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
		raw := dialRaw(t, b, "ord-1") // never answers anything
		_ = raw
		b.waitConns(t, 1)

		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := b.hub.Shutdown(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, 200*time.Millisecond, time.Since(start), "Shutdown returns at its deadline")
		synctest.Wait()
		require.Zero(t, b.conns())
	})
}

// A customer's streams close when the token expires, at that instant of
// the bubble's clock.
func TestTokenExpiryClosesPolicyViolation(t *testing.T) {
	t.Parallel()
	inBubble(t, setupOpts{}, func(t *testing.T, b *testBundle) {
		b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
		expires := time.Now().Add(300 * time.Millisecond)
		ws := dialWS(t, b, "ord-1", customer("cust-1", expires))
		readWS(t, ws)
		sse := dialSSE(t, b, "ord-1", customer("cust-1", expires))
		sse.nextDoc(t)

		_, _, err := ws.Read(context.Background())
		require.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "err %v", err)
		require.Equal(t, expires, time.Now(), "closed at the expiry")
		ev, err := sse.next()
		require.NoError(t, err)
		require.Equal(t, sseEvent{name: "close", data: `{"code":1008,"reason":"access token expired"}`}, ev)
		synctest.Wait()
		require.Zero(t, b.conns())
		require.EqualValues(t, 2, b.closedBy(endTokenExpired))
	})
}

// After a restart a client reconnects and its first message is the state
// it missed while away.
func TestReconnectAfterRestartGetsCurrentState(t *testing.T) {
	t.Parallel()
	first := setup(t, setupOpts{})
	o := first.order(t, "ord-1", "cust-1", time.Now().Add(-time.Minute))
	ws := dialWS(t, first, "ord-1", nil)
	require.True(t, readWS(t, ws).Actions["cancel"].Allowed)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- first.hub.Shutdown(ctx)
	}()
	_, _, err := ws.Read(context.Background()) // reads the close, answers it
	require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err))
	require.NoError(t, <-done)

	// The driver arrives while nobody is connected.
	_, err = first.rm.Put(context.Background(), arrive(o))
	require.NoError(t, err)

	second := setup(t, setupOpts{rm: first.rm})
	d := readWS(t, dialWS(t, second, "ord-1", nil))
	require.EqualValues(t, 2, d.Version)
	require.False(t, d.Actions["cancel"].Allowed)
}

// fakeFanout delivers notices from a channel and records what is published.
type fakeFanout struct {
	notices   chan [2]any
	mu        sync.Mutex
	published []string
}

func (f *fakeFanout) Publish(id string, v int64) {
	f.mu.Lock()
	f.published = append(f.published, fmt.Sprintf("%s@%d", id, v))
	f.mu.Unlock()
}

func (f *fakeFanout) Listen(ctx context.Context, deliver func(string, int64)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-f.notices:
			deliver(n[0].(string), n[1].(int64))
		}
	}
}

func TestRemoteChangeArrivesThroughFanout(t *testing.T) {
	t.Parallel()
	f := &fakeFanout{notices: make(chan [2]any)}
	b := setup(t, setupOpts{cfg: Config{Fanout: f}})
	o := b.order(t, "ord-1", "cust-1", time.Now().Add(-time.Minute))
	ws := dialWS(t, b, "ord-1", nil)
	readWS(t, ws)

	// Another replica committed version 2: the shared read model has it.
	_, err := b.rm.Put(context.Background(), arrive(o))
	require.NoError(t, err)
	f.notices <- [2]any{"ord-1", int64(2)}
	require.EqualValues(t, 2, readWS(t, ws).Version)

	// A local commit is pushed here; telling the other replicas is the
	// engine's fan-out listener's work, not the hub's.
	o3 := arrive(arrive(o))
	b.commit(t, o3)
	require.EqualValues(t, 3, readWS(t, ws).Version)
	f.mu.Lock()
	require.Empty(t, f.published, "the hub does not publish for the engine")
	f.mu.Unlock()
}

// Timers and watches exist only while someone watches (invariant 5).
func TestNothingIsKeptForUnwatchedOrders(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	o := b.order(t, "ord-1", "cust-1", time.Now().Add(time.Hour))
	b.commit(t, arrive(o)) // nobody watches
	watches, timers := b.kept()
	require.Zero(t, watches)
	require.Zero(t, timers)

	b.order(t, "ord-2", "cust-2", time.Now().Add(time.Hour))
	ws := dialWS(t, b, "ord-2", nil)
	readWS(t, ws)
	watches, timers = b.kept()
	require.Equal(t, 1, watches)
	require.Equal(t, 1, timers) // the boundary at promised_at

	require.NoError(t, ws.Close(websocket.StatusNormalClosure, ""))
	b.waitConns(t, 0)
	watches, timers = b.kept()
	require.Zero(t, watches)
	require.Zero(t, timers)
	require.EqualValues(t, 1, b.closedBy(endClientClosed))
}
