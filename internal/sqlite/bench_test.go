package sqlite_test

import (
	"testing"

	"github.com/eligo/eligo/internal/storetest"
)

// BenchmarkUpdateOrders is storetest.BenchmarkUpdateOrders on SQLite.
func BenchmarkUpdateOrders(b *testing.B) { storetest.BenchmarkUpdateOrders(b, openTemp) }
