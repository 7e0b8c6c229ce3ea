package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// testListChanges: the committed changes, by version id, paged by
// afterID, each naming its order and the order's version after it.
func (s *suite) testListChanges(t *testing.T) {
	t.Parallel()
	b := s.setup(t)
	cs, err := b.store.ListChanges(b.ctx, 0, 10)
	require.NoError(t, err)
	require.Empty(t, cs)
	_, err = b.store.ListChanges(b.ctx, 0, 0)
	requireCode(t, eligo.EINVALID, err)

	b.create(t, b.params("order-1"))
	b.create(t, b.params("order-2"))
	b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned))
	b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned)) // a duplicate writes no version

	cs, err = b.store.ListChanges(b.ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, cs, 3)
	want := []struct {
		order   string
		version int64
	}{{"order-1", 1}, {"order-2", 1}, {"order-1", 2}}
	for i, w := range want {
		require.Equal(t, w.order, cs[i].OrderID)
		require.Equal(t, w.version, cs[i].OrderVersion)
		if i > 0 {
			require.Greater(t, cs[i].VersionID, cs[i-1].VersionID)
		}
	}
	page, err := b.store.ListChanges(b.ctx, cs[0].VersionID, 1)
	require.NoError(t, err)
	require.Equal(t, cs[1:2], page)
	page, err = b.store.ListChanges(b.ctx, cs[2].VersionID, 10)
	require.NoError(t, err)
	require.Empty(t, page)
}
