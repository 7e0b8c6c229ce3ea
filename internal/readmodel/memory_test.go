package readmodel

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestMemoryPutIsVersionGuarded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemory()

	stored, err := m.Put(ctx, eligo.Order{ID: "o1", Version: 2, DriverStatus: eligo.DriverArrivedAtDoorstep})
	require.NoError(t, err)
	require.True(t, stored)

	// A late, older snapshot must not move the model backwards.
	stored, err = m.Put(ctx, eligo.Order{ID: "o1", Version: 1, DriverStatus: eligo.DriverPickedUp})
	require.NoError(t, err)
	require.False(t, stored)
	stored, _ = m.Put(ctx, eligo.Order{ID: "o1", Version: 2})
	require.False(t, stored, "the same version twice is not stored again")

	o, ok, err := m.Get(ctx, "o1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, int64(2), o.Version)
	require.Equal(t, eligo.DriverArrivedAtDoorstep, o.DriverStatus)

	_, ok, _ = m.Get(ctx, "missing")
	require.False(t, ok)
}

func TestMemoryConcurrentPutsKeepNewest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemory()
	var wg sync.WaitGroup
	for v := int64(1); v <= 200; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				_, _ = m.Put(ctx, eligo.Order{ID: fmt.Sprintf("o%d", i), Version: v})
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 10, m.Len())
	for i := 0; i < 10; i++ {
		o, _, _ := m.Get(ctx, fmt.Sprintf("o%d", i))
		require.Equal(t, int64(200), o.Version)
	}
}

func BenchmarkMemoryGet(b *testing.B) {
	ctx := context.Background()
	m := NewMemory()
	for i := 0; i < 60000; i++ {
		_, _ = m.Put(ctx, eligo.Order{ID: fmt.Sprintf("ord-%d", i), Version: 1})
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _, _ = m.Get(ctx, "ord-12345")
			i++
		}
	})
}
