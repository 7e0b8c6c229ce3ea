package sqlite_test

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/sqlite"
)

// A range of ListHotOrders is a search of the index orders_ended, in its
// order: no scan of the table, no sort, so a rebuild costs the hot set and
// not the history.
func TestListHotOrdersSearchesTheIndex(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rows, err := b.store.DB().QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+sqlite.ListHotOrdersQuery,
		"DELIVERED", int64(math.MinInt64), int64(math.MinInt64), "", 1000)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"SEARCH orders USING INDEX orders_ended (status=? AND updated_at>?)"}, plan,
		strings.Join(plan, "\n"))
}
