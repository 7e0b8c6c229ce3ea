package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/storetest"
	"github.com/eligo/eligo/internal/testenv"
)

func pragma(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&n))
	return n
}

// A new file is created with incremental auto-vacuum, so the pages that
// retention frees go back to the file system: the file shrinks.
func TestReclaimSpaceShrinksTheFile(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	// No deadline: the test is about space, not time, on however loaded a
	// machine.
	s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db"), Now: clock.Now, Timeout: -1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.Equal(t, 2, pragma(t, s.DB(), "auto_vacuum"), "INCREMENTAL")

	for i := range 1000 {
		id := fmt.Sprintf("order-%05d", i)
		now := clock.Now()
		_, _, err := s.CreateOrder(t.Context(), &eligo.CreateOrderParams{Who: eligo.WhoService,
			Order: eligo.NewOrderParams{ID: id, CustomerID: "cust-1", PlacedAt: now, PromisedAt: now.Add(time.Hour)}})
		require.NoError(t, err)
		_, err = s.UpdateOrders(t.Context(), []eligo.Update{storetest.DriverEvent("ev-"+id, id, eligo.DriverDelivered)})
		require.NoError(t, err)
	}
	full := pragma(t, s.DB(), "page_count")

	clock.Advance(time.Hour)
	for {
		n, err := s.DeleteEndedOrders(t.Context(), clock.Now(), 500)
		require.NoError(t, err)
		if n.Orders < 500 {
			break
		}
	}
	require.Positive(t, pragma(t, s.DB(), "freelist_count"), "the deletes freed pages")
	require.NoError(t, s.ReclaimSpace(t.Context()))
	require.Zero(t, pragma(t, s.DB(), "freelist_count"))
	require.Less(t, pragma(t, s.DB(), "page_count"), full/4, "from %d pages", full)
}
