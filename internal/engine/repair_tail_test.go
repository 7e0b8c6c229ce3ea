package engine_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// hidingStore hides an order's changes from ListChanges, as a transaction
// that took its id and has not committed yet. It hides by order, before the
// write, so that the repair can never read the change first.
type hidingStore struct {
	eligo.OrderStore
	mu     sync.Mutex
	hidden map[string]bool
}

func (s *hidingStore) ListChanges(ctx context.Context, afterID int64, limit int) ([]eligo.CommittedChange, error) {
	cs, err := s.OrderStore.ListChanges(ctx, afterID, limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := cs[:0]
	for _, c := range cs {
		if !s.hidden[c.OrderID] {
			out = append(out, c)
		}
	}
	return out, err
}

func (s *hidingStore) hide(orderID string, hidden bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hidden[orderID] = hidden
}

type memMark struct{ v atomic.Int64 }

func (m *memMark) Load(context.Context) (int64, error) { return m.v.Load(), nil }
func (m *memMark) Save(_ context.Context, id int64) error {
	for {
		cur := m.v.Load()
		if id <= cur || m.v.CompareAndSwap(cur, id) {
			return nil
		}
	}
}

// Pins issue 11: a writer that died between its commit and its publish left
// the shared read model at the older version until the order's next
// change. The repair tails the store's committed changes and publishes
// what the model missed, including a change whose id was passed before it
// committed.
func TestRepairTailsTheStoresChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	store := &hidingStore{OrderStore: st, hidden: map[string]bool{}}
	shared := readmodel.NewMemory() // the Redis every replica reads
	newEngine := func(rm eligo.ReadModel, ls ...engine.Listener) *engine.Engine {
		e, err := engine.New(engine.Config{Store: store, ReadModel: rm, Policy: eligo.DefaultPolicy(), Listeners: ls})
		require.NoError(t, err)
		return e
	}
	alive := newEngine(shared)
	// dying commits and never publishes: its process died at once.
	dying := newEngine(readmodel.NewMemory())
	const orders = 20
	for i := range orders {
		_, _, err := alive.CreateOrder(ctx, &eligo.NewOrderParams{ID: "ord-" + strconv.Itoa(i), CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}, eligo.WhoService)
		require.NoError(t, err)
	}
	event := func(e *engine.Engine, i int, status string) engine.EventResult {
		t.Helper()
		rs, err := e.ApplyEvents(ctx, []eligo.Event{{EventID: "ev-" + strconv.Itoa(i) + status, OrderID: "ord-" + strconv.Itoa(i), Type: eligo.EventDriverStatus, Status: status}})
		require.NoError(t, err)
		require.Equal(t, eligo.OutcomeApplied, rs[0].Outcome)
		return rs[0]
	}
	for i := range orders {
		event(dying, i, "ASSIGNED")
	}
	modelVersion := func(i int) int64 {
		o, ok, err := shared.Get(ctx, "ord-"+strconv.Itoa(i))
		require.NoError(t, err)
		require.True(t, ok)
		return o.Version
	}
	for i := range orders {
		require.EqualValues(t, 1, modelVersion(i), "the model missed the change")
	}

	rec := &recorder{}
	mark := &memMark{}
	repairer := newEngine(shared, rec)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- repairer.Repair(rctx, engine.RepairConfig{Interval: 5 * time.Millisecond, Grace: 5 * time.Millisecond, Mark: mark})
	}()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })
	require.Eventually(t, func() bool {
		for i := range orders {
			if modelVersion(i) != 2 {
				return false
			}
		}
		return true
	}, 10*time.Second, 5*time.Millisecond, "every order reached the store's version")

	// Out of order: order 0's change took its id first and commits after
	// order 1's, which the repair reads (and passes) meanwhile.
	store.hide("ord-0", true)
	late := event(dying, 0, "AT_STORE")
	event(dying, 1, "AT_STORE")
	require.Eventually(t, func() bool { return modelVersion(1) == 3 }, 10*time.Second, 5*time.Millisecond)
	require.EqualValues(t, 2, modelVersion(0))
	store.hide("ord-0", false) // it commits
	require.Eventually(t, func() bool { return modelVersion(0) == 3 }, 10*time.Second, 5*time.Millisecond,
		"the change committed behind the high-water mark was repaired")
	require.Eventually(t, func() bool { return mark.v.Load() >= late.VersionID+1 }, 10*time.Second, 5*time.Millisecond, "the mark passed every change")
}
