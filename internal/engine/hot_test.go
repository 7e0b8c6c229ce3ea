package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/testenv"
)

// hotBundle is a SQLite store, an in-process hot set and the engine on one
// fake clock.
type hotBundle struct {
	ctx    context.Context
	clock  *testenv.Clock
	store  *findCounter
	model  *readmodel.Memory
	engine *engine.Engine
	reg    *prometheus.Registry
}

func setupHot(t *testing.T, start time.Time) *hotBundle {
	t.Helper()
	b := &hotBundle{ctx: t.Context(), clock: testenv.NewClock(start), reg: prometheus.NewRegistry()}
	st, err := sqlite.Open(b.ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db"), Now: b.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	b.store = &findCounter{OrderStore: st}
	b.reopen(t)
	return b
}

// reopen gives b a new, empty hot set and engine on the same store, as a
// restart does.
func (b *hotBundle) reopen(t *testing.T) {
	t.Helper()
	var err error
	b.model, err = readmodel.NewHotSet(&readmodel.HotSetConfig{Grace: time.Hour, Now: b.clock.Now})
	require.NoError(t, err)
	b.reg = prometheus.NewRegistry()
	b.engine, err = engine.New(engine.Config{Store: b.store, ReadModel: b.model, Policy: eligo.DefaultPolicy(),
		HotGrace: time.Hour, Now: b.clock.Now, Registerer: b.reg})
	require.NoError(t, err)
}

// create creates a paid order placed now, promised in ten minutes, in the
// store only, as another process (or an earlier life of this one) would.
func (b *hotBundle) create(t *testing.T, id string) {
	t.Helper()
	now := b.clock.Now()
	_, _, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Who: eligo.WhoService,
		Order: eligo.NewOrderParams{ID: id, CustomerID: "cust-1", PlacedAt: now, PromisedAt: now.Add(10 * time.Minute)}})
	require.NoError(t, err)
}

// deliver delivers the orders in one store transaction, at the clock's
// now.
func (b *hotBundle) deliver(t *testing.T, ids ...string) {
	t.Helper()
	us := make([]eligo.Update, len(ids))
	for i, id := range ids {
		us[i] = eligo.EventUpdate(&eligo.Event{EventID: "delivered-" + id, OrderID: id, Type: eligo.EventDriverStatus,
			Status: eligo.DriverDelivered.String(), OccurredAt: b.clock.Now()}, eligo.WhoService)
	}
	rs, err := b.store.UpdateOrders(b.ctx, us)
	require.NoError(t, err)
	for _, r := range rs {
		require.Equal(t, eligo.OutcomeApplied, r.Outcome, "%v", r.Err)
		require.Equal(t, eligo.StatusDelivered, r.Order.Status)
	}
}

// A miss in the hot set is read from the store: a hot order is put back
// into the model, one out of the hot set is not, and is kept in the
// engine's small cache instead, so that reading it again and again costs
// no store read. Both come back as the store holds them.
func TestAMissIsReadFromTheStore(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2031, 3, 4, 5, 0, 0, 0, time.UTC)
	b := setupHot(t, t0)
	b.create(t, "ord-ended")
	b.deliver(t, "ord-ended")
	b.clock.Advance(2 * time.Hour) // past the grace of ord-ended
	b.create(t, "ord-live")
	want := map[string]eligo.Order{}
	for _, id := range []string{"ord-ended", "ord-live"} {
		o, err := b.store.OrderStore.FindOrder(b.ctx, id)
		require.NoError(t, err)
		want[id] = o
	}

	o, err := b.engine.Order(b.ctx, "ord-live")
	require.NoError(t, err)
	requireSameOrder(t, want["ord-live"], o)
	_, held, _ := b.model.Get(b.ctx, "ord-live")
	require.True(t, held, "a live order read from the store joins the hot set")

	for range 5 {
		o, err := b.engine.Order(b.ctx, "ord-ended")
		require.NoError(t, err)
		requireSameOrder(t, want["ord-ended"], o)
	}
	_, held, _ = b.model.Get(b.ctx, "ord-ended")
	require.False(t, held, "an order out of the hot set never joins it")
	require.EqualValues(t, 2, b.store.finds.Load(), "ord-ended is read from the store once, then from the cache")
	require.Equal(t, 1.0, testenv.MetricValue(t, b.reg, "eligo_cold_order_reads_total", "result", "store"))
	require.Equal(t, 4.0, testenv.MetricValue(t, b.reg, "eligo_cold_order_reads_total", "result", "cached"))

	// An unknown id is still not found, and the negative cache spares the
	// store the second read.
	for range 2 {
		_, err = b.engine.Order(b.ctx, "ord-unknown")
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
	}
	require.EqualValues(t, 3, b.store.finds.Load())

	// None holds nothing: every read is the store's.
	e, err := engine.New(engine.Config{Store: b.store, ReadModel: readmodel.None{}, Policy: eligo.DefaultPolicy(), Now: b.clock.Now})
	require.NoError(t, err)
	o, err = e.Order(b.ctx, "ord-live")
	require.NoError(t, err)
	require.Equal(t, "ord-live", o.ID)
}

// A start after months of orders loads the hot set only: the live orders,
// however old, and those that ended less than the grace period ago; the
// orders that ended long ago stay in the store, and are still answered.
func TestRebuildLoadsOnlyTheHotSet(t *testing.T) {
	t.Parallel()
	start := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	b := setupHot(t, start)
	const ended, live, recent = 400, 50, 7
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%04d", prefix, i)
		}
		return out
	}
	for _, id := range ids("live", live) { // 30 days old and still open
		b.create(t, id)
	}
	for _, id := range append(ids("ended", ended), ids("recent", recent)...) {
		b.create(t, id)
	}
	for chunk := range slices.Chunk(ids("ended", ended), 100) { // small transactions: within the store timeout under -race
		b.deliver(t, chunk...)
	}
	b.clock.Advance(30*24*time.Hour - 30*time.Minute)
	b.deliver(t, ids("recent", recent)...) // ended half an hour before the restart
	b.clock.Advance(30 * time.Minute)

	b.reopen(t)
	n, err := b.engine.Rebuild(b.ctx)
	require.NoError(t, err)
	require.Equal(t, live+recent, n, "the rebuild loads the live and the recently ended orders only")
	require.Equal(t, live+recent, b.model.Len())
	for _, id := range append(ids("live", live), ids("recent", recent)...) {
		_, held, _ := b.model.Get(b.ctx, id)
		require.True(t, held, id)
	}
	finds := b.store.finds.Load()
	o, err := b.engine.Order(b.ctx, "ended-0123")
	require.NoError(t, err)
	require.Equal(t, eligo.StatusDelivered, o.Status)
	require.Equal(t, finds+1, b.store.finds.Load(), "an order that ended long ago is read from the store")

	// Past the grace, a sweep leaves the live orders only.
	b.clock.Advance(31 * time.Minute)
	require.Equal(t, recent, b.model.Sweep())
	require.Equal(t, live, b.model.Len())
}

// requireSameOrder requires that got holds want's fields and version,
// times compared as instants.
func requireSameOrder(t *testing.T, want, got eligo.Order) {
	t.Helper()
	require.Equal(t, want.Fields(), got.Fields())
	require.Equal(t, want.Version, got.Version)
}
