package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/testenv/stack"
)

// recorder is a listener that keeps the versions it is told about; like
// any listener, it may be called from several goroutines at once.
type recorder struct {
	mu       sync.Mutex
	versions []int64
}

func (r *recorder) OrderChanged(_ context.Context, o eligo.Order) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.versions = append(r.versions, o.Version)
}

func (r *recorder) seen() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.versions)
}

// An event delivered again after the process that applied it died between
// its commit and its publish (Kafka redelivers the batch) repairs a shared
// read model that missed the change, and tells the listeners again.
func TestDuplicateEventRepairsTheReadModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := stack.OpenStore(t, stack.SQLite)
	newEngine := func(rm eligo.ReadModel, l engine.Listener) *engine.Engine {
		e, err := engine.New(engine.Config{Store: store, ReadModel: rm,
			Policy: eligo.DefaultPolicy(), Listeners: []engine.Listener{l}})
		require.NoError(t, err)
		return e
	}
	shared := readmodel.NewMemory()
	first := newEngine(shared, &recorder{})
	_, _, err := first.CreateOrder(ctx, &eligo.NewOrderParams{ID: "ord-1", CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}, eligo.WhoService)
	require.NoError(t, err)

	// The first delivery commits, and its publish is lost with the
	// process: here, it went to a model nobody reads.
	ev := eligo.Event{EventID: "ev-1", OrderID: "ord-1", Type: eligo.EventDriverStatus, Status: "ARRIVED_AT_DOORSTEP"}
	_, err = newEngine(readmodel.NewMemory(), &recorder{}).ApplyEvents(ctx, []eligo.Event{ev})
	require.NoError(t, err)
	o, _, _ := shared.Get(ctx, "ord-1")
	require.EqualValues(t, 1, o.Version)

	rec := &recorder{}
	rs, err := newEngine(shared, rec).ApplyEvents(ctx, []eligo.Event{ev})
	require.NoError(t, err)
	require.Equal(t, eligo.OutcomeDuplicate, rs[0].Outcome)
	o, _, _ = shared.Get(ctx, "ord-1")
	require.EqualValues(t, 2, o.Version)
	require.Equal(t, []int64{2}, rec.seen())
}
