package sqlite_test

import (
	"testing"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/storetest"
)

// BenchmarkUpdateOrders is storetest.BenchmarkUpdateOrders on SQLite.
func BenchmarkUpdateOrders(b *testing.B) {
	storetest.BenchmarkUpdateOrders(b, func(b *testing.B, clock func() time.Time) eligo.OrderStore {
		return openTemp(b, clock)
	})
}
