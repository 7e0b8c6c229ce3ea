package postgres_test

import (
	"testing"

	"github.com/eligo/eligo/internal/storetest"
)

// BenchmarkUpdateOrders is storetest.BenchmarkUpdateOrders on PostgreSQL. It
// needs ELIGO_TEST_POSTGRES_URL.
func BenchmarkUpdateOrders(b *testing.B) { storetest.BenchmarkUpdateOrders(b, openFresh) }
