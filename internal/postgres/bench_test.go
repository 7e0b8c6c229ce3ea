package postgres_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// BenchmarkUpdateOrders applies batches of driver events, each one applied
// (none stale or duplicate), one transaction per batch, and reports the cost
// per event. It needs ELIGO_TEST_POSTGRES_URL.
func BenchmarkUpdateOrders(b *testing.B) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			benchmarkUpdateOrders(b, size)
		})
	}
}

func benchmarkUpdateOrders(b *testing.B, size int) {
	bundle := setupB(b)
	ctx := b.Context()
	statuses := []eligo.DriverStatus{eligo.DriverAssigned, eligo.DriverAtStore, eligo.DriverPickedUp, eligo.DriverArrivedAtDoorstep}
	updates := make([]eligo.Update, size)
	var orders []string
	round, seq := len(statuses), 0
	for b.Loop() {
		// Each order takes four events; make fresh ones when those are used.
		if round == len(statuses) {
			b.StopTimer()
			orders = orders[:0]
			for range size {
				id := fmt.Sprintf("order-%08d", seq)
				seq++
				_, _, err := bundle.store.CreateOrder(ctx, bundle.params(id))
				require.NoError(b, err)
				orders = append(orders, id)
			}
			round = 0
			b.StartTimer()
		}
		for i, id := range orders {
			updates[i] = driverEvent(fmt.Sprintf("ev-%s-%d", id, round), id, statuses[round])
		}
		rs, err := bundle.store.UpdateOrders(ctx, updates)
		if err != nil || rs[size-1].Outcome != eligo.OutcomeApplied {
			b.Fatalf("update: %v %+v", err, rs[size-1])
		}
		round++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/event")
}
