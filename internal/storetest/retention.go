package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// testRetention: the deletes of the retention job remove exactly the rows
// past eligo.Retention's cut-offs, never a live order, and a processed
// event id stays a duplicate for as long as it is kept.
func (s *suite) testRetention(t *testing.T) {
	t.Parallel()
	ret := eligo.DefaultRetention()

	t.Run("EndedOrdersWithTheirRows", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("live-old")) // PLACED for ever: never past retention
		b.create(t, b.params("ended-1"))
		b.create(t, b.params("ended-2"))
		b.update(t, driverEvent("ev-a", "live-old", eligo.DriverAssigned))
		r := b.update(t, driverEvent("ev-1", "ended-1", eligo.DriverDelivered), driverEvent("ev-2", "ended-2", eligo.DriverDelivered))
		endedVersion := r[0].VersionID
		b.clock.Advance(ret.Orders - time.Microsecond)
		b.create(t, b.params("ended-recent"))
		b.update(t, driverEvent("ev-3", "ended-recent", eligo.DriverDelivered))

		// Just before the cut-off: nothing is due.
		n, err := b.store.DeleteEndedOrders(b.ctx, ret.Cutoffs(b.clock.Now()).OrdersEndedBefore, 10)
		require.NoError(t, err)
		require.Zero(t, n)

		// Past it, in batches of one: ended-1 and ended-2 go, each with two
		// versions and one event id; then no more are due.
		b.clock.Advance(2 * time.Microsecond)
		cut := ret.Cutoffs(b.clock.Now()).OrdersEndedBefore
		var total eligo.RetentionCounts
		for range 2 {
			n, err := b.store.DeleteEndedOrders(b.ctx, cut, 1)
			require.NoError(t, err)
			require.Equal(t, eligo.RetentionCounts{Orders: 1, Versions: 2, EventIDs: 1}, n)
			total = total.Add(n)
		}
		n, err = b.store.DeleteEndedOrders(b.ctx, cut, 1)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Equal(t, eligo.RetentionCounts{Orders: 2, Versions: 4, EventIDs: 2}, total)

		for _, id := range []string{"ended-1", "ended-2"} {
			_, err := b.store.FindOrder(b.ctx, id)
			requireCode(t, eligo.ENOTFOUND, err)
			_, err = b.store.FindVersions(b.ctx, id)
			requireCode(t, eligo.ENOTFOUND, err)
		}
		_, err = b.store.FindVersion(b.ctx, endedVersion)
		requireCode(t, eligo.ENOTFOUND, err)
		require.Contains(t, eligo.ErrorMessage(err), "past retention")
		require.Equal(t, eligo.StatusPlaced, b.find(t, "live-old").Status)
		require.Len(t, b.versions(t, "live-old"), 2)
		require.Len(t, b.versions(t, "ended-recent"), 2)

		// A redelivered event of a deleted order applies nothing.
		r = b.update(t, driverEvent("ev-1", "ended-1", eligo.DriverDelivered))
		require.Equal(t, eligo.OutcomeRejected, r[0].Outcome)
		requireCode(t, eligo.ENOTFOUND, r[0].Err)
	})

	t.Run("Versions", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		b.clock.Advance(ret.Versions)
		b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned))

		cut := ret.Cutoffs(b.clock.Now()).VersionsBefore
		n, err := b.store.DeleteVersions(b.ctx, cut, 10)
		require.NoError(t, err)
		require.Zero(t, n, "a version exactly at the cut-off is kept")
		b.clock.Advance(time.Microsecond)
		n, err = b.store.DeleteVersions(b.ctx, ret.Cutoffs(b.clock.Now()).VersionsBefore, 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		vs := b.versions(t, "order-1")
		require.Len(t, vs, 1)
		require.EqualValues(t, 2, vs[0].OrderVersion)
		require.EqualValues(t, 2, b.find(t, "order-1").Version, "the order itself stays")
		require.True(t, (eligo.Retention{EventIDs: time.Hour}).Cutoffs(b.clock.Now()).VersionsBefore.IsZero(), "0 keeps versions")
	})

	t.Run("EventIDsStayDuplicatesWhileKept", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		b.update(t, DriverEvent("ev-1", "order-1", eligo.DriverAssigned))

		// Up to retain-event-ids after it was processed, the id is kept,
		// and its redelivery is a duplicate that writes nothing.
		b.clock.Advance(ret.EventIDs)
		n, err := b.store.DeleteEventIDs(b.ctx, ret.Cutoffs(b.clock.Now()).EventIDsBefore, 10)
		require.NoError(t, err)
		require.Zero(t, n)
		r := b.update(t, DriverEvent("ev-1", "order-1", eligo.DriverAssigned))
		require.Equal(t, eligo.OutcomeDuplicate, r[0].Outcome)
		require.Len(t, b.versions(t, "order-1"), 2)

		// Past it, the id goes; the order keeps its state.
		b.clock.Advance(time.Microsecond)
		n, err = b.store.DeleteEventIDs(b.ctx, ret.Cutoffs(b.clock.Now()).EventIDsBefore, 10)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, eligo.DriverAssigned, b.find(t, "order-1").DriverStatus)
		old, err := b.store.OldestKept(b.ctx)
		require.NoError(t, err)
		require.True(t, old.EventID.IsZero(), "no event id is kept")
	})

	t.Run("OldestKept", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		old, err := b.store.OldestKept(b.ctx)
		require.NoError(t, err)
		require.Equal(t, eligo.OldestKept{}, old)

		created := b.clock.Now()
		b.create(t, b.params("live"))
		b.create(t, b.params("ended"))
		ended := b.clock.Advance(time.Minute)
		b.update(t, driverEvent("ev-1", "ended", eligo.DriverDelivered))
		b.clock.Advance(time.Minute)
		b.update(t, driverEvent("ev-2", "live", eligo.DriverAssigned))

		old, err = b.store.OldestKept(b.ctx)
		require.NoError(t, err)
		require.True(t, ended.Equal(old.OrderEnded), "the live order is not an ended one: %s", old.OrderEnded)
		require.True(t, created.Equal(old.Version), "%s", old.Version)
		require.True(t, ended.Equal(old.EventID), "%s", old.EventID)
	})

	t.Run("InvalidBatch", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		_, err := b.store.DeleteEndedOrders(b.ctx, b.clock.Now(), 0)
		requireCode(t, eligo.EINVALID, err)
		_, err = b.store.DeleteVersions(b.ctx, time.Time{}, 10)
		requireCode(t, eligo.EINVALID, err)
		_, err = b.store.DeleteEventIDs(b.ctx, b.clock.Now(), -1)
		requireCode(t, eligo.EINVALID, err)
	})
}
