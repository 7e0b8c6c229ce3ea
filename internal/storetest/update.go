package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func (s *suite) testUpdateOrders(t *testing.T) {
	t.Parallel()

	t.Run("EventApplied", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		old := b.create(t, b.params("order-1"))
		created := b.versions(t, "order-1")[0]
		b.clock.Advance(time.Minute)

		r := b.update(t, driverEvent("ev-1", "order-1", eligo.DriverPickedUp))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		require.NoError(t, r.Err)
		require.EqualValues(t, 2, r.Order.Version)
		require.Equal(t, eligo.DriverPickedUp, r.Order.DriverStatus)
		require.True(t, r.Order.UpdatedAt.Equal(b.clock.Now()), "updated_at %s, want the store clock %s", r.Order.UpdatedAt, b.clock.Now())
		require.Greater(t, r.VersionID, created.ID)
		requireSameOrder(t, r.Order, b.find(t, "order-1"))

		v, err := b.store.FindVersion(b.ctx, r.VersionID)
		require.NoError(t, err)
		require.Equal(t, r.VersionID, v.ID)
		require.Equal(t, eligo.ItemTypeOrder, v.ItemType)
		require.Equal(t, "order-1", v.ItemID)
		require.Equal(t, eligo.VersionUpdate, v.Event)
		require.Equal(t, eligo.WhoService, v.Whodunnit)
		require.Equal(t, "ev-1", v.EventID)
		require.True(t, v.OccurredAt.Equal(epoch), "occurred_at %s, want the event's %s", v.OccurredAt, epoch)
		require.Zero(t, created.OccurredAt, "a create has no event, so no occurred_at")
		require.EqualValues(t, 2, v.OrderVersion)
		require.True(t, v.CreatedAt.Equal(b.clock.Now()))
		require.Equal(t, created.Host, v.Host)
		require.Equal(t, created.Build, v.Build)
		requireJSONEqual(t, eligo.Changes(&old, &r.Order), v.ObjectChanges)
		require.Equal(t, []string{"driver_status", "updated_at", "version"}, changedFields(v.ObjectChanges))
		requireJSONEqual(t, [2]any{nil, "PICKED_UP"}, v.ObjectChanges["driver_status"])
		requireJSONEqual(t, [2]any{1, 2}, v.ObjectChanges["version"])
	})

	t.Run("ApplyGetsStoreClockAndStoredOrder", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		p.PaymentTimeoutAt = p.PromisedAt
		stored := b.create(t, p)
		b.clock.Advance(time.Hour)

		var gotOrder eligo.Order
		var gotNow time.Time
		r := b.update(t, eligo.Update{OrderID: "order-1", Who: eligo.WhoSystem, Apply: func(o eligo.Order, now time.Time) (eligo.Order, error) {
			gotOrder, gotNow = o, now
			o.PaymentStatus = eligo.PaymentFailed
			return o, nil
		}})[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		requireSameOrder(t, stored, gotOrder)
		require.True(t, gotNow.Equal(b.clock.Now()), "Apply got %s, want the store clock %s", gotNow, b.clock.Now())
		require.Empty(t, b.versions(t, "order-1")[1].EventID, "an update without an event records none")
		require.Zero(t, b.versions(t, "order-1")[1].OccurredAt, "nor an occurred_at")
	})

	t.Run("DuplicateEventAcrossCalls", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		first := b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned))[0]
		require.Equal(t, eligo.OutcomeApplied, first.Outcome)
		b.clock.Advance(time.Minute)

		// The same event again, occurred_at aside, is a duplicate.
		resend := driverEvent("ev-1", "order-1", eligo.DriverAssigned)
		resend.OccurredAt = b.clock.Now()
		r := b.update(t, resend)[0]
		require.Equal(t, eligo.OutcomeDuplicate, r.Outcome)
		require.NoError(t, r.Err)
		require.Zero(t, r.VersionID)
		requireSameOrder(t, first.Order, r.Order)
		requireSameOrder(t, first.Order, b.find(t, "order-1"))
		require.Len(t, b.versions(t, "order-1"), 2)
	})

	t.Run("ReusedEventIDRejectedAcrossCalls", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		b.create(t, b.params("order-2"))
		first := b.update(t, driverEvent("dup-1", "order-1", eligo.DriverAssigned))[0]
		require.Equal(t, eligo.OutcomeApplied, first.Outcome)

		// The id of one event, reused for another status or another order,
		// is not that event seen again: it is refused, and says so.
		rs := b.update(t,
			driverEvent("dup-1", "order-1", eligo.DriverPickedUp),
			driverEvent("dup-1", "order-2", eligo.DriverArrivedAtDoorstep),
			eventUpdate(&eligo.Event{EventID: "dup-1", OrderID: "order-1", Type: eligo.EventPayment, Status: "ASSIGNED"}),
			driverEvent("dup-1", "order-missing", eligo.DriverAssigned),
		)
		for i, r := range rs {
			require.Equal(t, eligo.OutcomeRejected, r.Outcome, "update %d", i)
			requireCode(t, eligo.ECONFLICT, r.Err)
			require.Contains(t, eligo.ErrorMessage(r.Err), "already used", "update %d", i)
			require.Zero(t, r.VersionID)
		}
		requireSameOrder(t, first.Order, b.find(t, "order-1"))
		require.Equal(t, eligo.DriverNone, b.find(t, "order-2").DriverStatus)
		require.Len(t, b.versions(t, "order-2"), 1)

		// The first event's resend is still its duplicate.
		require.Equal(t, eligo.OutcomeDuplicate, b.update(t, driverEvent("dup-1", "order-1", eligo.DriverAssigned))[0].Outcome)
	})

	t.Run("ReusedEventIDOfStaleEventRejected", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		b.update(t, driverEvent("ev-1", "order-1", eligo.DriverPickedUp))
		require.Equal(t, eligo.OutcomeStale, b.update(t, driverEvent("ev-2", "order-1", eligo.DriverAssigned))[0].Outcome)

		r := b.update(t, driverEvent("ev-2", "order-1", eligo.DriverArrivedAtDoorstep))[0]
		require.Equal(t, eligo.OutcomeRejected, r.Outcome)
		requireCode(t, eligo.ECONFLICT, r.Err)
		require.Equal(t, eligo.DriverPickedUp, b.find(t, "order-1").DriverStatus)
	})

	t.Run("DuplicateEventWithinBatch", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		b.create(t, b.params("order-2"))

		rs := b.update(t,
			driverEvent("ev-1", "order-1", eligo.DriverAssigned),
			driverEvent("ev-1", "order-1", eligo.DriverAssigned),
			driverEvent("ev-1", "order-1", eligo.DriverPickedUp),
			driverEvent("ev-1", "order-2", eligo.DriverArrivedAtDoorstep),
		)
		require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
		require.Equal(t, eligo.OutcomeDuplicate, rs[1].Outcome)
		requireSameOrder(t, rs[0].Order, rs[1].Order)
		for _, r := range rs[2:] {
			require.Equal(t, eligo.OutcomeRejected, r.Outcome)
			requireCode(t, eligo.ECONFLICT, r.Err)
		}
		require.Equal(t, eligo.DriverAssigned, b.find(t, "order-1").DriverStatus)
		require.Equal(t, eligo.DriverNone, b.find(t, "order-2").DriverStatus)
		require.Len(t, b.versions(t, "order-1"), 2)
		require.Len(t, b.versions(t, "order-2"), 1)
	})

	t.Run("StaleEventRecordsIDWithoutVersion", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		arrived := b.update(t, driverEvent("ev-1", "order-1", eligo.DriverArrivedAtDoorstep))[0]
		require.Equal(t, eligo.OutcomeApplied, arrived.Outcome)
		b.clock.Advance(time.Minute)

		// A late PICKED_UP never moves the order back.
		r := b.update(t, driverEvent("ev-2", "order-1", eligo.DriverPickedUp))[0]
		require.Equal(t, eligo.OutcomeStale, r.Outcome)
		require.NoError(t, r.Err)
		require.Zero(t, r.VersionID)
		requireSameOrder(t, arrived.Order, r.Order)
		requireSameOrder(t, arrived.Order, b.find(t, "order-1"))
		require.Len(t, b.versions(t, "order-1"), 2)

		// Its id was recorded: the resend is a duplicate.
		r = b.update(t, driverEvent("ev-2", "order-1", eligo.DriverPickedUp))[0]
		require.Equal(t, eligo.OutcomeDuplicate, r.Outcome)

		// The same status again is stale too.
		r = b.update(t, driverEvent("ev-3", "order-1", eligo.DriverArrivedAtDoorstep))[0]
		require.Equal(t, eligo.OutcomeStale, r.Outcome)
		require.Len(t, b.versions(t, "order-1"), 2)
	})

	t.Run("UnknownOrderRejectedWithoutRecordingID", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		r := b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned))[0]
		require.Equal(t, eligo.OutcomeRejected, r.Outcome)
		requireCode(t, eligo.ENOTFOUND, r.Err)
		require.Equal(t, eligo.Order{}, r.Order)
		require.Zero(t, r.VersionID)

		// The id was not recorded: once the order exists, the event applies.
		b.create(t, b.params("order-1"))
		r = b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
	})

	t.Run("RejectedUpdateLeavesBatchGoingOn", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-a"))
		b.create(t, b.params("order-b"))

		failing := eligo.Update{OrderID: "order-a", EventID: "ev-bad", Who: eligo.WhoService,
			Apply: func(o eligo.Order, _ time.Time) (eligo.Order, error) {
				o.Status = eligo.StatusDelivered // must not be written
				return o, eligo.Errorf(eligo.EINVALID, "refused by the test")
			}}
		unknownStatus := eventUpdate(&eligo.Event{EventID: "ev-unknown", OrderID: "order-a",
			Type: eligo.EventDriverStatus, Status: "FLYING"})
		rs := b.update(t,
			driverEvent("ev-a1", "order-a", eligo.DriverAssigned),
			failing,
			driverEvent("ev-b1", "order-b", eligo.DriverAssigned),
			unknownStatus,
			driverEvent("ev-missing", "order-missing", eligo.DriverAssigned),
			driverEvent("ev-a2", "order-a", eligo.DriverAtStore),
		)
		outcomes := make([]string, len(rs))
		for i, r := range rs {
			outcomes[i] = r.Outcome
		}
		require.Equal(t, []string{eligo.OutcomeApplied, eligo.OutcomeRejected, eligo.OutcomeApplied,
			eligo.OutcomeRejected, eligo.OutcomeRejected, eligo.OutcomeApplied}, outcomes)
		requireCode(t, eligo.EINVALID, rs[1].Err)
		require.Equal(t, "refused by the test", eligo.ErrorMessage(rs[1].Err))
		requireSameOrder(t, rs[0].Order, rs[1].Order) // the stored order, unchanged
		requireCode(t, eligo.EINVALID, rs[3].Err)
		requireCode(t, eligo.ENOTFOUND, rs[4].Err)

		a := b.find(t, "order-a")
		require.Equal(t, eligo.StatusPlaced, a.Status)
		require.Equal(t, eligo.DriverAtStore, a.DriverStatus)
		require.EqualValues(t, 3, a.Version)
		require.Len(t, b.versions(t, "order-a"), 3)
		require.Len(t, b.versions(t, "order-b"), 2)

		// Rejected ids were not recorded.
		r := b.update(t, driverEvent("ev-bad", "order-a", eligo.DriverPickedUp))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
		r = b.update(t, driverEvent("ev-unknown", "order-a", eligo.DriverArrivedAtDoorstep))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome)
	})

	t.Run("SameOrderTwiceInBatchGetsAVersionEach", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))

		rs := b.update(t,
			driverEvent("ev-1", "order-1", eligo.DriverAssigned),
			driverEvent("ev-2", "order-1", eligo.DriverAtStore),
			driverEvent("ev-3", "order-1", eligo.DriverPickedUp),
		)
		for i, r := range rs {
			require.Equal(t, eligo.OutcomeApplied, r.Outcome, "update %d", i)
			require.EqualValues(t, i+2, r.Order.Version, "update %d", i)
			if i > 0 {
				require.Greater(t, r.VersionID, rs[i-1].VersionID)
			}
		}

		vs := b.versions(t, "order-1")
		require.Len(t, vs, 4)
		want := []any{nil, "ASSIGNED", "AT_STORE", "PICKED_UP"}
		for i := 1; i < len(vs); i++ {
			require.Equal(t, rs[i-1].VersionID, vs[i].ID)
			require.EqualValues(t, i+1, vs[i].OrderVersion)
			requireJSONEqual(t, [2]any{want[i-1], want[i]}, vs[i].ObjectChanges["driver_status"])
		}
	})

	t.Run("EmptyBatch", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		rs, err := b.store.UpdateOrders(b.ctx, nil)
		require.NoError(t, err)
		require.Empty(t, rs)
	})

	t.Run("CancelledContextAppliesNothing", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		ctx, cancel := context.WithCancel(b.ctx)
		cancel()

		_, err := b.store.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
		require.Error(t, err)
		require.EqualValues(t, 1, b.find(t, "order-1").Version)

		r := b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned))[0]
		require.Equal(t, eligo.OutcomeApplied, r.Outcome, "the failed call recorded nothing")
	})
}
