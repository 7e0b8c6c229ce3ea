package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/storetest"
	"github.com/eligo/eligo/internal/testenv"
)

func TestStore(t *testing.T) {
	t.Parallel()
	testenv.PostgresURL(t) // skip (or fail under CI) once, not once per test
	storetest.Exercise(t, openFresh)
}

// openFresh opens a store on a fresh schema (a storetest.NewStoreFunc). The
// store is not closed when the test ends: the caller (or storetest) does
// that.
func openFresh(t testing.TB, clock func() time.Time) eligo.OrderStore {
	return open(t, testenv.PostgresSchemaURL(t), clock)
}

// open opens a store on connURL and applies the migrations. The store is
// not closed when the test ends: the caller (or storetest) does that.
func open(t testing.TB, connURL string, clock func() time.Time) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), &postgres.Config{
		URL: connURL, Now: clock, Host: "test-host", Build: "test-build", MaxConns: 4,
	})
	require.NoError(t, err)
	_, err = s.Migrate(t.Context())
	require.NoError(t, err)
	return s
}

// testBundle is what the package's own tests work with.
type testBundle struct {
	url   string // the test's schema
	now   time.Time
	store *postgres.Store
}

// setup opens a store on a fresh schema with a clock stopped at a time
// with nanoseconds.
func setup(t testing.TB) *testBundle {
	t.Helper()
	b := &testBundle{url: testenv.PostgresSchemaURL(t), now: storetest.NanoTime}
	b.store = b.open(t)
	return b
}

// open opens another store on the bundle's schema, closed when the test ends.
func (b *testBundle) open(t testing.TB) *postgres.Store {
	t.Helper()
	s := open(t, b.url, func() time.Time { return b.now })
	storetest.CloseAtEnd(t, s)
	return s
}

// params returns the params of a new order placed a minute ago.
func (b *testBundle) params(id string) *eligo.CreateOrderParams {
	return storetest.CreateParams(id, b.now)
}

var driverEvent = storetest.DriverEvent
