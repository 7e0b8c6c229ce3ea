package postgres_test

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/testenv"
)

// Issue 11: with PostgreSQL behind a TCP proxy that cuts every connection
// (a reset, RST, or an orderly close, FIN) between calls or while writes
// are in flight, a write between calls succeeds on a fresh connection;
// one in flight either succeeds on a fresh connection or fails with
// EUNAVAILABLE (503, "retry"), never EINTERNAL; nothing acknowledged is
// lost; and the store recovers by itself, without a restart.
func TestStoreConnectionsResetMidFlight(t *testing.T) {
	t.Parallel()
	for _, hard := range []bool{true, false} {
		name := map[bool]string{true: "RST", false: "FIN"}[hard]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testConnectionsReset(t, hard)
		})
	}
}

func testConnectionsReset(t *testing.T, hard bool) {
	direct := testenv.PostgresSchemaURL(t)
	require.NoError(t, open(t, direct, time.Now).Close()) // migrated
	u, err := url.Parse(direct)
	require.NoError(t, err)
	proxy := testenv.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	ctx := t.Context()
	// A timeout long past the test's waits: what ends a call here is the
	// cut connection, never the deadline.
	s, err := postgres.Open(ctx, &postgres.Config{URL: u.String(), Timeout: 10 * time.Second, MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	check := direct // the truth, read past the proxy
	truth := open(t, check, time.Now)
	t.Cleanup(func() { truth.Close() })

	const orders = 120
	for i := range orders {
		_, _, err := s.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
			Order: eligo.NewOrderParams{ID: fmt.Sprintf("order-%d", i), CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}})
		require.NoError(t, err)
	}
	// Each failure must be EUNAVAILABLE; the message says to retry.
	requireUnavailable := func(err error) {
		t.Helper()
		require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err), "error: %v", err)
		require.Contains(t, eligo.ErrorMessage(err), "retry")
	}

	// 0. A cut between calls costs no write: the pool's connections are
	// dead, and each write finds it out before it sent anything that
	// counts, so it runs again on a fresh one.
	var idle sync.WaitGroup
	for i := range 4 {
		idle.Go(func() { // four connections in the pool
			id := fmt.Sprintf("idle-%d", i)
			_, _, err := s.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
				Order: eligo.NewOrderParams{ID: id, CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}})
			require.NoError(t, err)
		})
	}
	idle.Wait()
	proxy.Reset(hard)
	for i := range 4 {
		id := fmt.Sprintf("idle-%d", i)
		rs, err := s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-"+id, id, eligo.DriverAssigned)})
		require.NoError(t, err, "a write after a cut between calls")
		require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
	}

	// 1. A write on the wire when the connections are cut.
	proxy.Pause()
	done := make(chan error, 1)
	go func() {
		_, err := s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-held", "order-0", eligo.DriverAssigned)})
		done <- err
	}()
	require.Eventually(t, func() bool { return proxy.Held() > 0 }, 10*time.Second, time.Millisecond, "the write never reached the proxy")
	cut := time.Now()
	proxy.Reset(hard)
	proxy.Resume()
	err = <-done
	t.Logf("the write in flight ended %v after the cut: %v", time.Since(cut).Round(time.Millisecond), err)
	if err != nil {
		requireUnavailable(err)
	}

	// 2. Cuts in the middle of a stream of writes from four goroutines.
	type outcome struct {
		id  string
		err error
	}
	var mu sync.Mutex
	var results []outcome
	var wg sync.WaitGroup
	work := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range work {
				id := fmt.Sprintf("order-%d", i)
				rs, err := s.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-"+id, id, eligo.DriverAssigned)})
				if err == nil && rs[0].Outcome != eligo.OutcomeApplied {
					err = fmt.Errorf("outcome %s: %v", rs[0].Outcome, rs[0].Err)
				}
				mu.Lock()
				results = append(results, outcome{id, err})
				mu.Unlock()
			}
		})
	}
	for i := 1; i < orders; i++ {
		if i%20 == 0 {
			proxy.Reset(hard)
		}
		work <- i
	}
	close(work)
	wg.Wait()
	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
			requireUnavailable(r.err)
			continue
		}
		// Acknowledged: it is in the store, read past the proxy.
		o, err := truth.FindOrder(ctx, r.id)
		require.NoError(t, err)
		require.Equal(t, int64(2), o.Version, "acknowledged write of %s lost", r.id)
	}
	t.Logf("%d writes, 5 cuts: %d failed with EUNAVAILABLE, %d acknowledged and stored", len(results), failed, len(results)-failed)

	// 3. It recovers by itself: the next calls get fresh connections, and
	// a failed write sent again is applied or found a duplicate (the
	// failure may have fallen after its commit).
	require.NoError(t, s.Ping(ctx))
	retry := append([]outcome{{"order-0", err}}, results...)
	for _, r := range retry {
		if r.err == nil {
			continue
		}
		ev := "ev-" + r.id
		if r.id == "order-0" {
			ev = "ev-held"
		}
		rs, err := s.UpdateOrders(ctx, []eligo.Update{driverEvent(ev, r.id, eligo.DriverAssigned)})
		require.NoError(t, err)
		require.Contains(t, []string{eligo.OutcomeApplied, eligo.OutcomeDuplicate}, rs[0].Outcome)
	}
	for i := range orders {
		o, err := truth.FindOrder(ctx, fmt.Sprintf("order-%d", i))
		require.NoError(t, err)
		require.Equal(t, int64(2), o.Version, "order-%d", i)
	}
}
