package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/sqlite"
)

// Issue 11.5: another process holding the write lock past the store's
// timeout ends a write with EUNAVAILABLE (busy_timeout, or the deadline),
// not a hang or an internal error; the write changed nothing, and applies
// once the lock is free.
func TestWriteLockPastTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "eligo.db")
	ctx := t.Context()
	s, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, _, err = s.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
		Order: eligo.NewOrderParams{ID: "order-1", CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}})
	require.NoError(t, err)

	// Another process's connection takes the write lock and keeps it.
	other, err := sql.Open("sqlite", path+"?_txlock=immediate")
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	tx, err := other.BeginTx(ctx, nil)
	require.NoError(t, err)

	_, err = s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)
	require.Contains(t, eligo.ErrorMessage(err), "retry")
	require.NoError(t, s.Ping(ctx), "reads still answer")

	require.NoError(t, tx.Rollback())
	rs, err := s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.NoError(t, err)
	require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
}
