package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/storetest"
	"github.com/eligo/eligo/internal/testenv"
)

// Behind PgBouncer in transaction mode, with the settings of
// docs/production.md (default_query_exec_mode=exec in the URL), the store
// creates, updates and reads orders, from several connections at once,
// each transaction on whichever server connection PgBouncer gives it.
func TestBehindPgBouncerInTransactionMode(t *testing.T) {
	t.Parallel()
	viaBouncer, direct := testenv.PgBouncerTransactionMode(t)
	migrated := open(t, direct, time.Now) // eligo migrate runs on a direct connection
	require.NoError(t, migrated.Close())

	s, err := postgres.Open(t.Context(), &postgres.Config{URL: viaBouncer + "&default_query_exec_mode=exec", MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	pending, err := s.Pending(t.Context())
	require.NoError(t, err)
	require.Empty(t, pending, "PgBouncer hands the store another schema than the direct connection's")

	const orders = 16
	var wg sync.WaitGroup
	errs := make(chan error, orders)
	for i := range orders {
		wg.Go(func() {
			id := fmt.Sprintf("bouncer-%d", i)
			if _, created, err := s.CreateOrder(t.Context(), storetest.CreateParams(id, time.Now())); err != nil || !created {
				errs <- fmt.Errorf("create %s: created %v, %w", id, created, err)
				return
			}
			for _, st := range []eligo.DriverStatus{eligo.DriverAssigned, eligo.DriverPickedUp} {
				if _, err := s.UpdateOrders(t.Context(), []eligo.Update{storetest.DriverEvent(id+"-"+st.String(), id, st)}); err != nil {
					errs <- fmt.Errorf("update %s: %w", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := range orders {
		id := fmt.Sprintf("bouncer-%d", i)
		o, err := s.FindOrder(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, eligo.DriverPickedUp, o.DriverStatus, id)
		vs, err := s.FindVersions(t.Context(), id)
		require.NoError(t, err)
		require.Len(t, vs, 3, id) // create and two updates
	}
	changes, err := s.ListChanges(t.Context(), 0, 100)
	require.NoError(t, err)
	require.Len(t, changes, 3*orders)
}

// Without that setting pgx names its prepared statements after their SQL
// and keeps them per client connection, which transaction pooling breaks:
// a second client connection given the same server connection prepares a
// name that is already there. This is what the setting is for.
func TestPgBouncerBreaksTheDefaultStatementCache(t *testing.T) {
	t.Parallel()
	viaBouncer, _ := testenv.PgBouncerTransactionMode(t)
	var lastErr error
	for range 2 {
		conn, err := pgx.Connect(t.Context(), viaBouncer)
		require.NoError(t, err)
		var n int
		lastErr = conn.QueryRow(t.Context(), `SELECT $1::int + 1`, 41).Scan(&n)
		_ = conn.Close(t.Context())
	}
	require.ErrorContains(t, lastErr, "already exists")
}
