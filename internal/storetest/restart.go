package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/testenv"
)

// NewDatabaseFunc makes a fresh, empty database and returns open, which
// opens a store on it with the given clock: the same database at every
// call, as a restarted process finds it. The suite closes each store.
type NewDatabaseFunc func(t *testing.T, clock func() time.Time) (open func() eligo.OrderStore)

// ExerciseRestart runs the restart case: a store opened again on the same
// database finds the orders, versions and changes as they were, and the
// processed event ids with what each event said.
func ExerciseRestart(t *testing.T, newDatabase NewDatabaseFunc) {
	t.Helper()
	t.Run("RestartKeepsOrdersVersionsAndEventIDs", func(t *testing.T) {
		t.Parallel()
		c := testenv.NewClock(epoch)
		open := newDatabase(t, c.Now)
		b := &bundle{ctx: t.Context(), clock: c, store: open()}
		for i := range 3 {
			b.create(t, b.params(fmt.Sprintf("order-%d", i)))
		}
		b.update(t,
			driverEvent("ev-1", "order-0", eligo.DriverAssigned),
			driverEvent("ev-2", "order-1", eligo.DriverAtStore),
		)
		before, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: 10})
		require.NoError(t, err)
		var versions [][]eligo.Version
		for _, o := range before {
			versions = append(versions, b.versions(t, o.ID))
		}
		changes, err := b.store.ListChanges(b.ctx, 0, 10)
		require.NoError(t, err)
		require.NoError(t, b.store.Close())

		b.store = open()
		CloseAtEnd(t, b.store)
		after, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: 10})
		require.NoError(t, err)
		require.Equal(t, before, after)
		for i, o := range after {
			require.Equal(t, versions[i], b.versions(t, o.ID))
		}
		again, err := b.store.ListChanges(b.ctx, 0, 10)
		require.NoError(t, err)
		require.Equal(t, changes, again)
		// A resend of the event is a duplicate; its id reused for another
		// status is refused: what the event said survived as well.
		rs := b.update(t,
			driverEvent("ev-1", "order-0", eligo.DriverAssigned),
			driverEvent("ev-1", "order-0", eligo.DriverPickedUp),
		)
		require.Equal(t, eligo.OutcomeDuplicate, rs[0].Outcome)
		require.Equal(t, eligo.OutcomeRejected, rs[1].Outcome)
	})
}
