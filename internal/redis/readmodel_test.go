package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/readmodel/readmodeltest"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

func TestReadModelContract(t *testing.T) {
	t.Parallel()
	newClient(t) // skips, or fails under CI, without a test Redis
	readmodeltest.Exercise(t, func(t *testing.T) *readmodeltest.Harness {
		prefix := testPrefix()
		c1, c2 := newClient(t), newClient(t)
		return &readmodeltest.Harness{
			Model: newReadModel(t, c1, redis.ReadModelConfig{Prefix: prefix}),
			Other: newReadModel(t, c2, redis.ReadModelConfig{Prefix: prefix}),
			Lose:  func(t *testing.T) { deletePrefix(t, c1, prefix) },
		}
	})
}

// A hot order is answered from the client-side cache: after the first read,
// reads cost no round trip, until a write invalidates the copy.
func TestReadModelServesHotOrdersFromTheCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	m := newReadModel(t, newClient(t), redis.ReadModelConfig{Prefix: testPrefix(), Registerer: reg})
	o := eligo.Order{ID: "ord-1", CustomerID: "cust-1", Version: 1, PromisedAt: time.Now().UTC()}
	_, err := m.Put(ctx, o)
	require.NoError(t, err)
	for range 100 {
		_, ok, err := m.Get(ctx, "ord-1")
		require.NoError(t, err)
		require.True(t, ok)
	}
	require.Equal(t, 1.0, counter(t, reg, "eligo_redis_read_model_gets_total", "fetched"))
	require.Equal(t, 99.0, counter(t, reg, "eligo_redis_read_model_gets_total", "cache_hit"))

	o.Version = 2
	_, err = m.Put(ctx, o)
	require.NoError(t, err)
	got, _, err := m.Get(ctx, "ord-1")
	require.NoError(t, err)
	require.EqualValues(t, 2, got.Version)
	require.Equal(t, 2.0, counter(t, reg, "eligo_redis_read_model_gets_total", "fetched"))
}

// The key is readable with redis-cli: the version, then the snapshot; the
// order id is its hash tag.
func TestReadModelKeyAndValue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	prefix := testPrefix()
	m := newReadModel(t, c, redis.ReadModelConfig{Prefix: prefix})
	_, err := m.Put(ctx, eligo.Order{ID: "ord-7", CustomerID: "cust-1", Version: 42})
	require.NoError(t, err)
	key := prefix + ":{ord-7}:order"
	require.Equal(t, key, redis.OrderKey(prefix, "ord-7"))
	v, err := c.Do(ctx, c.B().Get().Key(key).Build()).ToString()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(v, "42:"), "value %q", v)
}

// A value this build cannot read is an error, which the engine answers
// from the store, not a wrong answer.
func TestReadModelRefusesAValueItCannotRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	prefix := testPrefix()
	m := newReadModel(t, c, redis.ReadModelConfig{Prefix: prefix})
	require.NoError(t, c.Do(ctx, c.B().Set().Key(redis.OrderKey(prefix, "ord-1")).Value("7:garbage").Build()).Error())
	_, ok, err := m.Get(ctx, "ord-1")
	require.Error(t, err)
	require.False(t, ok)
	// A Put still moves past it by version.
	stored, err := m.Put(ctx, eligo.Order{ID: "ord-1", CustomerID: "c", Version: 8})
	require.NoError(t, err)
	require.True(t, stored)
	got, ok, err := m.Get(ctx, "ord-1")
	require.NoError(t, err)
	require.True(t, ok)
	require.EqualValues(t, 8, got.Version)
}

// A server whose script cache was emptied (a restart, SCRIPT FLUSH) still
// takes Puts: the script is sent again.
func TestReadModelPutAfterScriptFlush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	m := newReadModel(t, c, redis.ReadModelConfig{Prefix: testPrefix()})
	_, err := m.Put(ctx, eligo.Order{ID: "ord-1", CustomerID: "c", Version: 1})
	require.NoError(t, err)
	require.NoError(t, c.Do(ctx, c.B().ScriptFlush().Build()).Error())
	stored, err := m.Put(ctx, eligo.Order{ID: "ord-1", CustomerID: "c", Version: 2})
	require.NoError(t, err)
	require.True(t, stored)
}

func counter(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	return testenv.MetricValue(t, reg, name, "result", result)
}
