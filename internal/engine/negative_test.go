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

// findCounter counts FindOrder calls, the store reads of Engine.Order.
type findCounter struct {
	eligo.OrderStore
	finds atomic.Int64
}

func (s *findCounter) FindOrder(ctx context.Context, id string) (eligo.Order, error) {
	s.finds.Add(1)
	return s.OrderStore.FindOrder(ctx, id)
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// failingPuts is a read model whose Puts fail, as a Redis that is away
// for the replica that writes.
type failingPuts struct{ eligo.ReadModel }

func (failingPuts) Put(context.Context, eligo.Order) (bool, error) {
	return false, context.DeadlineExceeded
}

// Pins issue 11: with a partial read model (Redis), every read of an
// unknown order id was a store transaction. Now unknown ids are answered
// from a brief negative cache, which a created order leaves at once on
// every replica that shares the read model.
func TestUnknownOrdersCostNoStoreReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	store := &findCounter{OrderStore: st}
	clk := &clock{now: time.Now()}
	shared := readmodel.NewMemory() // the Redis both replicas read
	newEngine := func(rm eligo.ReadModel) *engine.Engine {
		e, err := engine.New(engine.Config{Store: store, ReadModel: rm,
			Policy: eligo.DefaultPolicy(), Now: clk.Now})
		require.NoError(t, err)
		return e
	}
	a, b := newEngine(shared), newEngine(shared)

	const reads, ids = 2000, 20
	for i := range reads {
		_, err := b.Order(ctx, "unknown-"+strconv.Itoa(i%ids))
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
	}
	require.EqualValues(t, ids, store.finds.Load(), "one store read per unknown id, not per read")

	// Created on replica A: readable on B at once, though B cached the id
	// as unknown (the shared read model has it).
	_, _, err = a.CreateOrder(ctx, &eligo.NewOrderParams{ID: "unknown-0", CustomerID: "c", PromisedAt: clk.Now().Add(time.Hour)}, eligo.WhoService)
	require.NoError(t, err)
	o, err := b.Order(ctx, "unknown-0")
	require.NoError(t, err)
	require.Equal(t, "unknown-0", o.ID)
	// Created on B itself: its cache forgets the id.
	_, _, err = b.CreateOrder(ctx, &eligo.NewOrderParams{ID: "unknown-1", CustomerID: "c", PromisedAt: clk.Now().Add(time.Hour)}, eligo.WhoService)
	require.NoError(t, err)
	_, err = b.Order(ctx, "unknown-1")
	require.NoError(t, err)

	// Created on a replica whose Put failed: the shared model lacks it, and
	// B answers "unknown" until the negative entry expires.
	_, _, err = newEngine(failingPuts{shared}).CreateOrder(ctx, &eligo.NewOrderParams{ID: "unknown-2", CustomerID: "c", PromisedAt: clk.Now().Add(time.Hour)}, eligo.WhoService)
	require.NoError(t, err)
	_, err = b.Order(ctx, "unknown-2")
	require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
	clk.add(engine.DefaultNegativeTTL)
	o, err = b.Order(ctx, "unknown-2")
	require.NoError(t, err)
	require.Equal(t, "unknown-2", o.ID)
}

// The negative cache stays within its bound however many unknown ids are
// read, and an evicted id costs one more store read, not a wrong answer.
func TestNegativeCacheBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	store := &findCounter{OrderStore: st}
	e, err := engine.New(engine.Config{Store: store, ReadModel: readmodel.NewMemory(),
		Policy: eligo.DefaultPolicy(), NegativeSize: 100})
	require.NoError(t, err)
	for i := range 1000 {
		_, err := e.Order(ctx, "unknown-"+strconv.Itoa(i))
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
	}
	require.LessOrEqual(t, engine.NegativeLen(e), 100)
	before := store.finds.Load()
	for i := 900; i < 1000; i++ {
		_, err := e.Order(ctx, "unknown-"+strconv.Itoa(i))
		require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
	}
	require.Less(t, store.finds.Load()-before, int64(100), "recent ids are mostly still cached")
}
