package sqlite_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/storetest"
)

// BenchmarkUpdateOrders is storetest.BenchmarkUpdateOrders on SQLite.
func BenchmarkUpdateOrders(b *testing.B) { storetest.BenchmarkUpdateOrders(b, openTemp) }

// BenchmarkCreateOrderParallel creates new orders from 32 goroutines at
// once (the load generator's concurrent POST /v1/orders), the case group
// commit is for, and from one for comparison; it reports creates per
// second.
func BenchmarkCreateOrderParallel(b *testing.B) {
	for _, writers := range []int{1, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			now := storetest.NanoTime
			store := openTemp(b, func() time.Time { return now })
			b.Cleanup(func() { require.NoError(b, store.Close()) })
			ctx := b.Context()
			var seq atomic.Int64
			create := func() error {
				p := storetest.CreateParams(fmt.Sprintf("order-%08d", seq.Add(1)), now)
				_, created, err := store.CreateOrder(ctx, p)
				if err == nil && !created {
					err = fmt.Errorf("order %s was not created", p.Order.ID)
				}
				return err
			}
			if writers == 1 {
				for b.Loop() {
					require.NoError(b, create())
				}
			} else {
				// RunParallel runs parallelism * GOMAXPROCS goroutines.
				b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := create(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
	}
}
