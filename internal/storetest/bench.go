package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// BenchmarkUpdateOrders applies batches of driver events, each one applied
// (none stale or duplicate), one transaction per batch, and reports the cost
// per event, on a fresh store from newStore for each batch size.
func BenchmarkUpdateOrders(b *testing.B, newStore NewStoreFunc) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			benchmarkUpdateOrders(b, newStore, size)
		})
	}
}

func benchmarkUpdateOrders(b *testing.B, newStore NewStoreFunc, size int) {
	now := epoch
	store := newStore(b, func() time.Time { return now })
	require.NotNil(b, store)
	b.Cleanup(func() { require.NoError(b, store.Close()) })
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
				_, _, err := store.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService, Order: eligo.NewOrderParams{
					ID: id, CustomerID: "cust-1", PlacedAt: now.Add(-time.Minute), PromisedAt: now.Add(10 * time.Minute),
				}})
				require.NoError(b, err)
				orders = append(orders, id)
			}
			round = 0
			b.StartTimer()
		}
		for i, id := range orders {
			updates[i] = eventUpdate(&eligo.Event{
				EventID: fmt.Sprintf("ev-%s-%d", id, round), OrderID: id,
				Type: eligo.EventDriverStatus, Status: statuses[round].String(),
			})
		}
		rs, err := store.UpdateOrders(ctx, updates)
		if err != nil || rs[size-1].Outcome != eligo.OutcomeApplied {
			b.Fatalf("update: %v %+v", err, rs[size-1])
		}
		round++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/event")
}
