package engine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// The read model says what a miss means: a complete model (the in-process
// one that Rebuild fills) answers "no such order" without the store; a
// partial one (a shared cache) sends the read to the store and keeps what
// it found; one that holds nothing (a worker's) always asks the store.
func TestReadModelSaysWhatAMissMeans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	_, _, err = store.CreateOrder(ctx, &eligo.CreateOrderParams{
		Order: eligo.NewOrderParams{ID: "ord-1", CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)},
		Who:   eligo.WhoService,
	})
	require.NoError(t, err)
	newEngine := func(rm eligo.ReadModel) *engine.Engine {
		e, err := engine.New(engine.Config{Store: store, ReadModel: rm, Policy: eligo.DefaultPolicy()})
		require.NoError(t, err)
		return e
	}

	complete := readmodel.NewMemory()
	require.False(t, complete.Partial())
	_, err = newEngine(complete).Order(ctx, "ord-1")
	require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err), "a miss in a complete model is no such order")

	partial := readmodel.NewPartialMemory()
	require.True(t, partial.Partial())
	o, err := newEngine(partial).Order(ctx, "ord-1")
	require.NoError(t, err)
	require.Equal(t, "ord-1", o.ID)
	_, ok, _ := partial.Get(ctx, "ord-1")
	require.True(t, ok, "a partial model keeps what the store answered")

	var none readmodel.None
	require.True(t, none.Partial())
	o, err = newEngine(none).Order(ctx, "ord-1")
	require.NoError(t, err)
	require.Equal(t, "ord-1", o.ID)
	_, ok, _ = none.Get(ctx, "ord-1")
	require.False(t, ok, "None holds nothing")
}
