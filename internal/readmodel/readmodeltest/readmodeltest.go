// Package readmodeltest is the one test suite that every eligo.ReadModel
// passes, in the manner of storetest: a backend's tests call Exercise with
// a function that makes a fresh, empty model, and the suite checks the
// interface contract only: a snapshot comes back as it was put (its
// attributes, deadlines and taken actions included), versions
// never move backwards, concurrent writers keep the newest, a process reads
// its own writes, the model holds the hot set only (eligo.Order.Hot), and
// losing the model loses nothing but the entries.
package readmodeltest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// Harness is one fresh, empty model for one test.
type Harness struct {
	// Model is the model under test.
	Model eligo.ReadModel
	// Other is a second handle on the same model, as another replica would
	// hold it (another connection, another client-side cache); nil means
	// Model, for a model that lives in one process.
	Other eligo.ReadModel
	// Lose empties the model the way it can be lost in production (a
	// FLUSHALL, a server restart). Nil for a model that is lost only with
	// its process, which a fresh model already stands for.
	Lose func(t *testing.T)
}

// NewFunc returns a fresh, empty model on the system clock, with the
// default grace period (eligo.DefaultHotGrace). The suite runs its tests
// in parallel, each on a model of its own.
type NewFunc func(t *testing.T) *Harness

// Exercise runs the suite against models made by newModel.
func Exercise(t *testing.T, newModel NewFunc) {
	t.Helper()
	s := &suite{newModel: newModel}
	t.Run("MissingOrder", s.testMissingOrder)
	t.Run("RoundTrip", s.testRoundTrip)
	t.Run("VersionGuard", s.testVersionGuard)
	t.Run("IDsDoNotCollide", s.testIDsDoNotCollide)
	t.Run("ConcurrentPutsKeepNewest", s.testConcurrentPutsKeepNewest)
	t.Run("ReadsOwnWrites", s.testReadsOwnWrites)
	t.Run("OtherReplicaSeesWrites", s.testOtherReplicaSeesWrites)
	t.Run("HoldsTheHotSet", s.testHoldsTheHotSet)
	t.Run("Lost", s.testLost)
}

type suite struct {
	newModel NewFunc
}

func (s *suite) setup(t *testing.T) (*Harness, context.Context) {
	t.Helper()
	h := s.newModel(t)
	require.NotNil(t, h)
	require.NotNil(t, h.Model)
	if h.Other == nil {
		h.Other = h.Model
	}
	return h, t.Context()
}

// order returns version v of an order with every field set, times with
// nanoseconds in UTC.
func order(id string, v int64) eligo.Order {
	placed := time.Date(2031, time.March, 4, 5, 6, 7, 123456789, time.UTC)
	return eligo.Order{
		ID:               id,
		CustomerID:       "cust-" + id,
		Status:           eligo.StatusPlaced,
		DriverStatus:     eligo.DriverPickedUp,
		PaymentStatus:    eligo.PaymentPending,
		PlacedAt:         placed,
		PromisedAt:       placed.Add(10 * time.Minute),
		PaymentTimeoutAt: placed.Add(5 * time.Minute),
		Version:          v,
		UpdatedAt:        placed.Add(time.Duration(v) * time.Second),
	}
}

func put(t *testing.T, ctx context.Context, m eligo.ReadModel, o eligo.Order) bool {
	t.Helper()
	stored, err := m.Put(ctx, o)
	require.NoError(t, err)
	return stored
}

func get(t *testing.T, ctx context.Context, m eligo.ReadModel, id string) (eligo.Order, bool) {
	t.Helper()
	o, ok, err := m.Get(ctx, id)
	require.NoError(t, err)
	return o, ok
}

// requireSame requires that got is want, field by field, times by instant.
func requireSame(t *testing.T, want, got eligo.Order) {
	t.Helper()
	require.True(t, eligo.SameState(&want, &got), "want %+v\ngot  %+v", want, got)
	require.Equal(t, want.Version, got.Version)
	require.True(t, want.UpdatedAt.Equal(got.UpdatedAt), "updated_at: want %v, got %v", want.UpdatedAt, got.UpdatedAt)
}

func (s *suite) testMissingOrder(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	_, ok := get(t, ctx, h.Model, "ord-missing")
	require.False(t, ok)
	// Asking twice (a cached miss, for a caching model) is still a miss.
	_, ok = get(t, ctx, h.Model, "ord-missing")
	require.False(t, ok)
	// And a miss that was asked for before sees the order once it is put.
	require.True(t, put(t, ctx, h.Model, order("ord-missing", 1)))
	o, ok := get(t, ctx, h.Model, "ord-missing")
	require.True(t, ok)
	require.EqualValues(t, 1, o.Version)
}

func (s *suite) testRoundTrip(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	full := order("ord-1", 3)
	full.Status, full.DriverStatus, full.PaymentStatus = eligo.StatusCancelled, eligo.DriverArrivedAtDoorstep, eligo.PaymentFailed
	// Zero times: no payment timeout, no driver status.
	bare := order("ord-2", 1)
	bare.DriverStatus, bare.PaymentStatus, bare.PaymentTimeoutAt = eligo.DriverNone, eligo.PaymentPaid, time.Time{}
	// What a policy reads besides: attributes, named deadlines, the once
	// actions taken.
	segmented := order("ord-3", 2)
	segmented.Attributes = []eligo.Attribute{{Key: "city", Value: "AMS"}, {Key: "merchant", Value: "m-1"}}
	segmented.Deadlines = []eligo.Deadline{{Name: "event_starts_at", At: segmented.PlacedAt.Add(48 * time.Hour)}}
	segmented.Taken = []string{"refund"}
	for _, o := range []eligo.Order{full, bare, segmented} {
		require.True(t, put(t, ctx, h.Model, o))
		got, ok := get(t, ctx, h.Model, o.ID)
		require.True(t, ok)
		requireSame(t, o, got)
		require.True(t, got.PaymentTimeoutAt.IsZero() == o.PaymentTimeoutAt.IsZero())
		require.Equal(t, o.Attributes, got.Attributes)
		require.Equal(t, o.Taken, got.Taken)
		require.Len(t, got.Deadlines, len(o.Deadlines))
		// Read again, from a cache if the model has one, and from the
		// other replica's handle.
		got, _ = get(t, ctx, h.Model, o.ID)
		requireSame(t, o, got)
		got, ok = get(t, ctx, h.Other, o.ID)
		require.True(t, ok)
		requireSame(t, o, got)
	}
}

// Invariant 3: an entry never moves backwards.
func (s *suite) testVersionGuard(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	v2 := order("ord-1", 2)
	v2.DriverStatus = eligo.DriverArrivedAtDoorstep
	require.True(t, put(t, ctx, h.Model, v2))

	// A late, older snapshot (a stale PICKED_UP) must not undo the arrival.
	require.False(t, put(t, ctx, h.Model, order("ord-1", 1)))
	// The same version twice is not stored again, even with other content.
	again := v2
	again.DriverStatus = eligo.DriverPickedUp
	require.False(t, put(t, ctx, h.Model, again))
	got, ok := get(t, ctx, h.Model, "ord-1")
	require.True(t, ok)
	requireSame(t, v2, got)

	require.True(t, put(t, ctx, h.Model, order("ord-1", 3)))
	got, _ = get(t, ctx, h.Model, "ord-1")
	require.EqualValues(t, 3, got.Version)
}

// Ids that differ only by characters a key format might treat specially
// are different orders.
func (s *suite) testIDsDoNotCollide(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	ids := []string{"a", "a}", "{a}", "a:order", "{a}:order", "A", "a*", "a\\", "ä"}
	for i, id := range ids {
		require.True(t, put(t, ctx, h.Model, order(id, int64(i+1))), id)
	}
	for i, id := range ids {
		got, ok := get(t, ctx, h.Model, id)
		require.True(t, ok, id)
		require.Equal(t, id, got.ID)
		require.EqualValues(t, i+1, got.Version, id)
	}
}

func (s *suite) testConcurrentPutsKeepNewest(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	const orders, versions = 5, 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*versions*orders)
	for v := int64(1); v <= versions; v++ {
		for _, m := range []eligo.ReadModel{h.Model, h.Other} {
			wg.Go(func() {
				for i := range orders {
					if _, err := m.Put(ctx, order(fmt.Sprintf("ord-%d", i), v)); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	require.NoError(t, <-errs)
	for i := range orders {
		got, ok := get(t, ctx, h.Model, fmt.Sprintf("ord-%d", i))
		require.True(t, ok)
		require.EqualValues(t, versions, got.Version)
	}
}

// A Get after a Put on the same handle sees that Put, even when the older
// snapshot was read (and, for a caching model, cached) just before.
func (s *suite) testReadsOwnWrites(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	for v := int64(1); v <= 200; v++ {
		require.True(t, put(t, ctx, h.Model, order("ord-1", v)))
		got, ok := get(t, ctx, h.Model, "ord-1")
		require.True(t, ok)
		require.Equal(t, v, got.Version, "a read right after storing version %d", v)
	}
}

// A write through one handle reaches a reader on another.
func (s *suite) testOtherReplicaSeesWrites(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	require.True(t, put(t, ctx, h.Model, order("ord-1", 1)))
	got, ok := get(t, ctx, h.Other, "ord-1") // cached by the other handle now
	require.True(t, ok)
	require.EqualValues(t, 1, got.Version)

	require.True(t, put(t, ctx, h.Model, order("ord-1", 2)))
	require.Eventually(t, func() bool {
		got, ok, err := h.Other.Get(ctx, "ord-1")
		return err == nil && ok && got.Version == 2
	}, 5*time.Second, time.Millisecond, "the other handle never saw version 2")
	// The other handle's Put of an older version is refused.
	require.False(t, put(t, ctx, h.Other, order("ord-1", 1)))
}

// The model holds the hot set: a live order however old, a terminal one
// within its grace period, and not one that ended before; a Put of an
// order past its grace takes the older snapshot the model held away too,
// or the model would answer that older, live version for ever.
func (s *suite) testHoldsTheHotSet(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	now := time.Now()
	at := func(id string, v int64, status eligo.Status, updated time.Time) eligo.Order {
		o := order(id, v)
		o.Status, o.UpdatedAt = status, updated.UTC()
		return o
	}
	old := at("ord-old", 1, eligo.StatusPlaced, now.Add(-25*time.Hour))
	require.True(t, put(t, ctx, h.Model, old))
	recent := at("ord-recent", 2, eligo.StatusDelivered, now.Add(-eligo.DefaultHotGrace/2))
	require.True(t, put(t, ctx, h.Model, recent))
	require.False(t, put(t, ctx, h.Model, at("ord-cold", 2, eligo.StatusCancelled, now.Add(-2*eligo.DefaultHotGrace))))
	for _, want := range []eligo.Order{old, recent} {
		got, ok := get(t, ctx, h.Other, want.ID)
		require.True(t, ok, want.ID)
		requireSame(t, want, got)
	}
	_, ok := get(t, ctx, h.Model, "ord-cold")
	require.False(t, ok, "an order past its grace is not stored")

	// The older, live snapshot of an order whose end arrives past the
	// grace (a late retry, a repair) leaves the model.
	_, ok = get(t, ctx, h.Model, "ord-old") // cached, for a caching model
	require.True(t, ok)
	require.False(t, put(t, ctx, h.Model, at("ord-old", 2, eligo.StatusExpired, now.Add(-2*eligo.DefaultHotGrace))))
	_, ok = get(t, ctx, h.Model, "ord-old")
	require.False(t, ok, "the live snapshot of an order that ended past its grace is dropped")
	require.Eventually(t, func() bool {
		_, ok, err := h.Other.Get(ctx, "ord-old")
		return err == nil && !ok
	}, 5*time.Second, time.Millisecond, "the other handle still reads the dropped snapshot")
}

// Losing the model loses the entries and nothing else: every order reads
// as a miss (so the engine reads the store), and the model fills again.
func (s *suite) testLost(t *testing.T) {
	t.Parallel()
	h, ctx := s.setup(t)
	if h.Lose == nil {
		t.Skip("this model is lost only with its process, which a fresh model in every test already stands for")
	}
	for i := range 3 {
		require.True(t, put(t, ctx, h.Model, order(fmt.Sprintf("ord-%d", i), 5)))
		_, ok := get(t, ctx, h.Model, fmt.Sprintf("ord-%d", i)) // cache it
		require.True(t, ok)
		_, ok = get(t, ctx, h.Other, fmt.Sprintf("ord-%d", i))
		require.True(t, ok)
	}
	h.Lose(t)
	for i := range 3 {
		id := fmt.Sprintf("ord-%d", i)
		require.Eventually(t, func() bool {
			_, ok, err := h.Model.Get(ctx, id)
			return err == nil && !ok
		}, 5*time.Second, time.Millisecond, "%s is still read after the model was lost", id)
		require.Eventually(t, func() bool {
			_, ok, err := h.Other.Get(ctx, id)
			return err == nil && !ok
		}, 5*time.Second, time.Millisecond, "the other handle still reads %s after the model was lost", id)
		// Repopulated from the store at the version it has.
		require.True(t, put(t, ctx, h.Model, order(id, 5)))
		got, ok := get(t, ctx, h.Model, id)
		require.True(t, ok)
		require.EqualValues(t, 5, got.Version)
		require.Eventually(t, func() bool {
			got, ok, err := h.Other.Get(ctx, id)
			return err == nil && ok && got.Version == 5
		}, 5*time.Second, time.Millisecond, "the other handle never saw %s again", id)
	}
}
