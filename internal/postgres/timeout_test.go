package postgres_test

import (
	"context"
	"net/url"
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
	proxy := testenv.NewProxy(t, u.Host)
	u.Host = proxy.Addr()

	ctx := t.Context()
	s, err := postgres.Open(ctx, &postgres.Config{URL: u.String(), Timeout: 300 * time.Millisecond, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, _, err = s.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
		Order: eligo.NewOrderParams{ID: "order-1", CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}})
	require.NoError(t, err)

	proxy.Pause()
	paused := time.Now()
	_, err = s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)
	t.Logf("a write behind the paused proxy failed with EUNAVAILABLE %v after the pause (timeout 300ms)", time.Since(paused).Round(time.Millisecond))
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

	proxy.Resume()
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
