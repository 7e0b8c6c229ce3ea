package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// testCancel pins that a cancel decides with the store's clock against the
// stored order, as eligo.Cancel under the default policy says.
func (s *suite) testCancel(t *testing.T) {
	t.Parallel()

	t.Run("AllowedAfterPromisedAt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		old := b.create(t, p)
		b.clock.Advance(p.PromisedAt.Sub(b.clock.Now())) // exactly at the broken promise

		r := b.update(t, cancelUpdate("order-1", eligo.WhoCustomer("cust-1")))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.NoError(t, r.Err)
		require.Equal(t, eligo.StatusCancelled, r.Order.Status)
		require.EqualValues(t, 2, r.Order.Version)
		requireSameOrder(t, r.Order, b.find(t, "order-1"))

		v, err := b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, "customer:cust-1", v.Whodunnit)
		require.Empty(t, v.EventID)
		require.Equal(t, []string{"status", "updated_at", "version"}, changedFields(v.ObjectChanges))
		requireJSONEqual(t, eligo.Changes(&old, &r.Order), v.ObjectChanges)

		// Cancelling again changes nothing.
		r = b.update(t, cancelUpdate("order-1", eligo.WhoCustomer("cust-1")))[0]
		require.Equal(t, eligo.OutcomeStale, r.Outcome)
		require.Equal(t, eligo.StatusCancelled, r.Order.Status)
		require.Len(t, b.versions(t, "order-1"), 2)
	})

	t.Run("RefusedBeforePromisedAt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		old := b.create(t, p)
		b.clock.Advance(p.PromisedAt.Sub(b.clock.Now()) - time.Microsecond)

		r := b.update(t, cancelUpdate("order-1", eligo.WhoCustomer("cust-1")))[0]
		require.Equal(t, eligo.OutcomeRejected, r.Outcome)
		requireCode(t, eligo.ECONFLICT, r.Err)
		require.Equal(t, eligo.ReasonOutsideWindow, eligo.ErrorReason(r.Err))
		require.Zero(t, r.VersionID)
		requireSameOrder(t, old, r.Order)
		requireSameOrder(t, old, b.find(t, "order-1"))
		require.Len(t, b.versions(t, "order-1"), 1)
	})

	t.Run("RefusedOnceDriverAtDoorstep", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		b.create(t, p)
		arrived := b.update(t, driverEvent("ev-1", "order-1", eligo.DriverArrivedAtDoorstep))[0]
		b.clock.Advance(time.Hour)

		r := b.update(t, cancelUpdate("order-1", eligo.WhoCustomer("cust-1")))[0]
		require.Equal(t, eligo.OutcomeRejected, r.Outcome)
		requireCode(t, eligo.ECONFLICT, r.Err)
		require.Equal(t, "driver_at_doorstep", eligo.ErrorReason(r.Err))
		requireSameOrder(t, arrived.Order, b.find(t, "order-1"))
	})

	t.Run("UnknownOrder", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		r := b.update(t, cancelUpdate("order-1", eligo.WhoCustomer("cust-1")))[0]
		require.Equal(t, eligo.OutcomeRejected, r.Outcome)
		requireCode(t, eligo.ENOTFOUND, r.Err)
	})
}
