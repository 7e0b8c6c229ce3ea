package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// testConcurrency pins that a read-decide-write runs under the order's
// lock: concurrent writers to one order never lose an update, and a cancel
// racing the driver's arrival has exactly one winner.
func (s *suite) testConcurrency(t *testing.T) {
	t.Parallel()

	t.Run("ConcurrentUpdatesLoseNothing", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		p.PaymentTimeoutAt = p.PromisedAt
		b.create(t, p)

		// Each update flips the payment status, so each one changes the
		// order and must see the one before it.
		flip := func(o eligo.Order, _ time.Time) (eligo.Order, error) {
			if o.PaymentStatus == eligo.PaymentPending {
				o.PaymentStatus = eligo.PaymentFailed
			} else {
				o.PaymentStatus = eligo.PaymentPending
			}
			return o, nil
		}
		const n = 16
		results := make([]eligo.UpdateResult, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				u := eligo.Update{OrderID: "order-1", Who: fmt.Sprintf("writer-%d", i), Apply: flip}
				rs, err := b.store.UpdateOrders(b.ctx, []eligo.Update{u})
				if err == nil {
					results[i] = rs[0]
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()

		seen := map[int64]bool{}
		for i, r := range results {
			require.NoError(t, errs[i], "writer %d", i)
			require.Equal(t, eligo.OutcomeApplied, r.Outcome, "writer %d", i)
			require.False(t, seen[r.Order.Version], "version %d was written twice", r.Order.Version)
			seen[r.Order.Version] = true
		}
		require.EqualValues(t, n+1, b.find(t, "order-1").Version)

		vs := b.versions(t, "order-1")
		require.Len(t, vs, n+1)
		for i, v := range vs {
			require.EqualValues(t, i+1, v.OrderVersion, "versions are contiguous")
			if i == 0 {
				continue
			}
			// Each change starts from where the one before ended.
			prev := vs[i-1].ObjectChanges["payment_status"][1]
			requireJSONEqual(t, prev, v.ObjectChanges["payment_status"][0])
		}
	})

	t.Run("CancelRacingArrivalHasOneWinner", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		const trials = 200
		var cancels, arrivals int
		for i := range trials {
			id := fmt.Sprintf("race-%03d", i)
			now := b.clock.Now()
			// Paid, and the promise already broken: cancel is allowed
			// until the driver arrives.
			b.create(t, &eligo.NewOrderParams{ID: id, CustomerID: "cust-1",
				PlacedAt: now.Add(-20 * time.Minute), PromisedAt: now.Add(-10 * time.Minute)})

			cancel, arrive := raceCancelArrival(t, b, id, fmt.Sprintf("ev-%03d", i), i%2 == 0)
			o := b.find(t, id)
			vs := b.versions(t, id)
			require.Len(t, vs, 2, "trial %d: one winner, one version", i)
			switch {
			case cancel.Outcome == eligo.OutcomeApplied:
				cancels++
				require.Equal(t, eligo.OutcomeStale, arrive.Outcome, "trial %d: the arrival after a cancel is stale", i)
				require.Equal(t, eligo.StatusCancelled, o.Status)
				require.Equal(t, eligo.DriverNone, o.DriverStatus)
				require.Equal(t, eligo.WhoCustomer("cust-1"), vs[1].Whodunnit)
			case arrive.Outcome == eligo.OutcomeApplied:
				arrivals++
				require.Equal(t, eligo.OutcomeRejected, cancel.Outcome, "trial %d: the cancel after the arrival is refused", i)
				requireCode(t, eligo.ECONFLICT, cancel.Err)
				require.Equal(t, "driver_at_doorstep", eligo.ErrorReason(cancel.Err))
				require.Equal(t, eligo.StatusPlaced, o.Status)
				require.Equal(t, eligo.DriverArrivedAtDoorstep, o.DriverStatus)
				require.Equal(t, fmt.Sprintf("ev-%03d", i), vs[1].EventID)
			default:
				require.Failf(t, "no winner", "trial %d: cancel %s (%v), arrival %s (%v)",
					i, cancel.Outcome, cancel.Err, arrive.Outcome, arrive.Err)
			}
			b.clock.Advance(time.Millisecond)
		}
		t.Logf("%d trials: cancel won %d, arrival won %d", trials, cancels, arrivals)
	})
}

// raceCancelArrival sends a cancel and an ARRIVED_AT_DOORSTEP event for the
// order from two goroutines released together, and returns their results.
// cancelFirst says which goroutine starts first, so that both get to win.
func raceCancelArrival(t *testing.T, b *bundle, orderID, eventID string, cancelFirst bool) (cancel, arrive eligo.UpdateResult) {
	t.Helper()
	var (
		wg                   sync.WaitGroup
		cancelErr, arriveErr error
		cancelRs, arriveRs   []eligo.UpdateResult
		start                = make(chan struct{})
	)
	sendCancel := func() {
		<-start
		cancelRs, cancelErr = b.store.UpdateOrders(b.ctx, []eligo.Update{cancelUpdate(orderID, eligo.WhoCustomer("cust-1"))})
	}
	sendArrival := func() {
		<-start
		arriveRs, arriveErr = b.store.UpdateOrders(b.ctx, []eligo.Update{driverEvent(eventID, orderID, eligo.DriverArrivedAtDoorstep)})
	}
	if cancelFirst {
		wg.Go(sendCancel)
		wg.Go(sendArrival)
	} else {
		wg.Go(sendArrival)
		wg.Go(sendCancel)
	}
	close(start)
	wg.Wait()
	require.NoError(t, cancelErr)
	require.NoError(t, arriveErr)
	require.Len(t, cancelRs, 1)
	require.Len(t, arriveRs, 1)
	return cancelRs[0], arriveRs[0]
}
