package redis_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/sqlite"
)

// An order created on replica A is found on replica B at once, though B
// read its id as unknown just before (the engine's negative cache, and a
// miss in B's client-side cache whose invalidation may still be on its
// way).
func TestCreatedOrderFoundOnOtherReplicaAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	prefix := testPrefix()
	newEngine := func() *engine.Engine {
		rm := newReadModel(t, newClient(t), redis.ReadModelConfig{Prefix: prefix})
		e, err := engine.New(engine.Config{Store: store, ReadModel: rm, Policy: eligo.DefaultPolicy()})
		require.NoError(t, err)
		return e
	}
	a, b := newEngine(), newEngine()
	for i := range 200 {
		id := "ord-" + strconv.Itoa(i)
		for range 2 {
			_, err := b.Order(ctx, id)
			require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
		}
		_, _, err := a.CreateOrder(ctx, &eligo.NewOrderParams{ID: id, CustomerID: "c", PromisedAt: time.Now().Add(time.Hour)}, eligo.WhoService)
		require.NoError(t, err)
		o, err := b.Order(ctx, id)
		require.NoError(t, err, "order %d created on A is found on B at once", i)
		require.Equal(t, id, o.ID)
	}
}
