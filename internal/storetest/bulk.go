package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/bulk"
	"github.com/eligo/eligo/internal/testenv"
)

// BulkLoadFunc writes rows into store with the backend's bulk load.
type BulkLoadFunc func(t *testing.T, store eligo.OrderStore, rows *bulk.Rows) error

// ExerciseBulkLoad checks a backend's bulk load against its own writes:
// the same plans, applied once through CreateOrder and UpdateOrders with
// the store's clock at each step's instant and once through the bulk load
// on another fresh store, read back the same through FindOrder,
// FindVersions, ListOrders and ListChanges, and their event ids are
// recorded with what each event said (a resend is a duplicate, a reuse is
// refused) on both.
func ExerciseBulkLoad(t *testing.T, newStore NewStoreFunc, load BulkLoadFunc) {
	t.Helper()
	t.Run("BulkLoadReadsBackAsTheStoresWrites", func(t *testing.T) {
		t.Parallel()
		plans := bulkPlans()
		c := testenv.NewClock(epoch)
		viaAPI := newStore(t, c.Now)
		CloseAtEnd(t, viaAPI)
		applyPlans(t, viaAPI, c, plans)

		loaded := newStore(t, c.Now)
		CloseAtEnd(t, loaded)
		rows := &bulk.Rows{Host: "test-host", Build: "test-build"}
		for i := range plans {
			require.NoError(t, rows.Add(&plans[i]))
		}
		require.NoError(t, load(t, loaded, rows))

		ctx := t.Context()
		want, err := viaAPI.ListOrders(ctx, &eligo.ListOrdersParams{Limit: 100})
		require.NoError(t, err)
		got, err := loaded.ListOrders(ctx, &eligo.ListOrdersParams{Limit: 100})
		require.NoError(t, err)
		require.Len(t, got, len(plans))
		require.Equal(t, want, got)
		for _, o := range want {
			found, err := loaded.FindOrder(ctx, o.ID)
			require.NoError(t, err)
			require.Equal(t, o, found)
			wv, err := viaAPI.FindVersions(ctx, o.ID)
			require.NoError(t, err)
			gv, err := loaded.FindVersions(ctx, o.ID)
			require.NoError(t, err)
			require.Len(t, gv, len(wv))
			for i := range wv {
				requireSameVersion(t, wv[i], gv[i])
			}
		}
		wc, err := viaAPI.ListChanges(ctx, 0, 100)
		require.NoError(t, err)
		gc, err := loaded.ListChanges(ctx, 0, 100)
		require.NoError(t, err)
		require.Equal(t, wc, gc)

		// Every step's event again, and its id reused for another status:
		// the same outcomes on both stores.
		for _, p := range plans {
			for _, s := range p.Steps {
				again := eventUpdate(&s.Event)
				reused := s.Event
				reused.Status = eligo.DriverArrivedAtDoorstep.String()
				other := eventUpdate(&reused)
				wr, err := viaAPI.UpdateOrders(ctx, []eligo.Update{again, other})
				require.NoError(t, err)
				gr, err := loaded.UpdateOrders(ctx, []eligo.Update{again, other})
				require.NoError(t, err)
				require.Equal(t, eligo.OutcomeDuplicate, gr[0].Outcome, "resend of %s", s.Event.EventID)
				require.Equal(t, eligo.OutcomeRejected, gr[1].Outcome, "reuse of %s", s.Event.EventID)
				requireCode(t, eligo.ECONFLICT, gr[1].Err)
				require.Equal(t, wr[0].Outcome, gr[0].Outcome)
				require.Equal(t, wr[1].Outcome, gr[1].Outcome)
			}
		}
	})

	t.Run("BulkLoadOfAnExistingOrderWritesNothing", func(t *testing.T) {
		t.Parallel()
		b := &bundle{ctx: t.Context(), clock: testenv.NewClock(epoch)}
		b.store = newStore(t, b.clock.Now)
		CloseAtEnd(t, b.store)
		plans := bulkPlans()
		b.create(t, &plans[1].Order)
		rows := &bulk.Rows{Host: "test-host", Build: "test-build"}
		for i := range plans {
			require.NoError(t, rows.Add(&plans[i]))
		}
		require.Error(t, load(t, b.store, rows))
		all, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: 100})
		require.NoError(t, err)
		require.Len(t, all, 1, "the failed load left no row")
		changes, err := b.store.ListChanges(b.ctx, 0, 100)
		require.NoError(t, err)
		require.Len(t, changes, 1)
	})
}

// bulkPlans are three orders, at whole microseconds: one only created,
// one still open after two events (one a resend-free stale one), one
// delivered; the last two with attributes and a named deadline.
func bulkPlans() []bulk.Plan {
	var plans []bulk.Plan
	for i, statuses := range [][]eligo.DriverStatus{
		nil,
		{eligo.DriverAtStore, eligo.DriverAssigned},
		{eligo.DriverAssigned, eligo.DriverPickedUp, eligo.DriverDelivered},
	} {
		id := fmt.Sprintf("bulk-%d", i)
		created := epoch.Add(time.Duration(i) * time.Hour)
		p := bulk.Plan{
			Who: eligo.WhoService, CreatedAt: created,
			Order: eligo.NewOrderParams{ID: id, CustomerID: "cust-" + id, PlacedAt: created.Add(-time.Minute), PromisedAt: created.Add(30 * time.Minute)},
		}
		if i > 0 { // attributes and deadlines are loaded as the create writes them
			p.Order.Attributes = map[string]string{"city": "AMS", "plan": id}
			p.Order.Deadlines = map[string]time.Time{"event_starts_at": created.Add(48 * time.Hour)}
		}
		for j, s := range statuses {
			at := created.Add(time.Duration(j+1) * 7 * time.Minute)
			p.Steps = append(p.Steps, bulk.Step{At: at, Event: eligo.Event{
				EventID: fmt.Sprintf("ev-%s-%d", id, j), OrderID: id, Type: eligo.EventDriverStatus,
				Status: s.String(), OccurredAt: at.Add(-time.Second),
			}})
		}
		plans = append(plans, p)
	}
	return plans
}

// applyPlans applies the plans through the store's API, the clock at each
// create's and step's instant, one call each.
func applyPlans(t *testing.T, store eligo.OrderStore, c *testenv.Clock, plans []bulk.Plan) {
	t.Helper()
	ctx := t.Context()
	for _, p := range plans {
		c.Set(p.CreatedAt)
		_, created, err := store.CreateOrder(ctx, &eligo.CreateOrderParams{Order: p.Order, Who: p.Who})
		require.NoError(t, err)
		require.True(t, created)
		for _, s := range p.Steps {
			c.Set(s.At)
			rs, err := store.UpdateOrders(ctx, []eligo.Update{eligo.EventUpdate(&s.Event, p.Who)})
			require.NoError(t, err)
			require.NotEqual(t, eligo.OutcomeRejected, rs[0].Outcome, "%+v", rs[0])
		}
	}
}
