package postgres_test

import (
	"context"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/testenv"
)

// Issue 11.5: with PostgreSQL behind a TCP proxy that stops forwarding,
// every store call ends at the store's deadline with EUNAVAILABLE instead of
// hanging, the write that timed out changed nothing, and once the proxy
// forwards again the store answers again.
func TestStoreTimeoutBehindPausedProxy(t *testing.T) {
	t.Parallel()
	direct := testenv.PostgresSchemaURL(t)
	require.NoError(t, open(t, direct, time.Now).Close()) // migrated
	u, err := url.Parse(direct)
	require.NoError(t, err)
	proxy := newPausingProxy(t, u.Host)
	u.Host = proxy.addr()

	ctx := t.Context()
	s, err := postgres.Open(ctx, &postgres.Config{URL: u.String(), Timeout: 300 * time.Millisecond, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, _, err = s.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
		Order: eligo.NewOrderParams{ID: "order-1", CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}})
	require.NoError(t, err)

	proxy.pause()
	_, err = s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)
	require.Contains(t, eligo.ErrorMessage(err), "retry")
	_, err = s.FindOrder(ctx, "order-1")
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)
	// ListChanges too: bounded here only so that a call without the
	// store's deadline fails the test instead of hanging it.
	bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = s.ListChanges(bounded, 0, 10)
	cancel()
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "list changes: %v", err)
	err = s.Ping(ctx)
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)

	proxy.resume()
	require.NoError(t, s.Ping(ctx))
	rs, err := s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.NoError(t, err)
	require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome, "the write that timed out recorded nothing")
}

// A row lock held past the store's timeout ends the write with
// EUNAVAILABLE (lock_timeout on the server, or the deadline), not a hang.
func TestLockWaitPastTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	connURL := testenv.PostgresSchemaURL(t)
	require.NoError(t, open(t, connURL, time.Now).Close())
	ctx := t.Context()
	s, err := postgres.Open(ctx, &postgres.Config{URL: connURL, Timeout: 300 * time.Millisecond, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, _, err = s.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
		Order: eligo.NewOrderParams{ID: "order-1", CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}})
	require.NoError(t, err)

	holder := open(t, connURL, time.Now)
	t.Cleanup(func() { holder.Close() })
	tx, err := holder.Pool().Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SELECT 1 FROM orders WHERE id = 'order-1' FOR UPDATE`)
	require.NoError(t, err)

	_, err = s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)

	require.NoError(t, tx.Rollback(ctx))
	rs, err := s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.NoError(t, err)
	require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
}

// pausingProxy forwards TCP connections to target; while paused it reads
// but forwards nothing, as a network that stopped answering.
type pausingProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	closed bool
}

func newPausingProxy(t *testing.T, target string) *pausingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &pausingProxy{ln: ln, target: target}
	p.cond = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *pausingProxy) addr() string { return p.ln.Addr().String() }

func (p *pausingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *pausingProxy) handle(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	go p.pipe(up, c)
	p.pipe(c, up)
}

// pipe copies src to dst, holding what it read while the proxy is paused.
func (p *pausingProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.wait() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// wait blocks while the proxy is paused and reports whether it is open.
func (p *pausingProxy) wait() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.paused && !p.closed {
		p.cond.Wait()
	}
	return !p.closed
}

func (p *pausingProxy) set(paused, closed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused, p.closed = paused, closed
	p.cond.Broadcast()
}

func (p *pausingProxy) pause()  { p.set(true, false) }
func (p *pausingProxy) resume() { p.set(false, false) }
func (p *pausingProxy) close() {
	p.set(false, true)
	p.ln.Close()
}
