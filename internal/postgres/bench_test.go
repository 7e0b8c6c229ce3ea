package postgres_test

import (
	"testing"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/storetest"
	"github.com/eligo/eligo/internal/testenv"
)

// BenchmarkUpdateOrders is storetest.BenchmarkUpdateOrders on PostgreSQL. It
// needs ELIGO_TEST_POSTGRES_URL.
func BenchmarkUpdateOrders(b *testing.B) {
	storetest.BenchmarkUpdateOrders(b, func(b *testing.B, clock func() time.Time) eligo.OrderStore {
		return open(b, testenv.PostgresSchemaURL(b), clock)
	})
}
