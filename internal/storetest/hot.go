package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// ListHotOrders lists the live orders, however old, and the terminal ones
// that ended at or after the bound, each once, page by page, whatever the
// page size: what a rebuild of the hot set reads.
func (s *suite) testListHotOrders(t *testing.T) {
	t.Parallel()
	b := s.setup(t)
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%d", prefix, i)
		}
		return out
	}
	live, endedLongAgo, endedRecently := ids("live", 5), ids("old", 4), ids("recent", 4)
	for _, id := range append(append(append([]string{}, live...), endedLongAgo...), endedRecently...) {
		b.create(t, b.params(id))
		b.clock.Advance(time.Microsecond) // distinct instants, and some shared below
	}
	// Ended long ago: two delivered, one cancelled, one expired.
	b.update(t, driverEvent("ev-old-0", "old-0", eligo.DriverDelivered), driverEvent("ev-old-1", "old-1", eligo.DriverDelivered),
		endUpdate("old-2", eligo.StatusCancelled), endUpdate("old-3", eligo.StatusExpired))
	b.clock.Advance(24 * time.Hour)
	bound := b.clock.Now()
	// At the bound itself (included), and after it, in one transaction:
	// the same updated_at for several orders, so pages split ties by id.
	b.update(t, driverEvent("ev-recent-0", "recent-0", eligo.DriverDelivered), driverEvent("ev-recent-1", "recent-1", eligo.DriverDelivered),
		endUpdate("recent-2", eligo.StatusExpired))
	b.clock.Advance(time.Second)
	b.update(t, endUpdate("recent-3", eligo.StatusCancelled))
	for _, id := range endedRecently {
		o := b.find(t, id)
		require.True(t, o.Terminal(), id)
	}
	want := map[string]eligo.Order{}
	for _, id := range append(append([]string{}, live...), endedRecently...) {
		want[id] = b.find(t, id)
	}

	for _, limit := range []int{1, 2, 3, 100} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			got := map[string]eligo.Order{}
			p := &eligo.ListHotOrdersParams{EndedSince: bound, Limit: limit}
			for pages := 0; ; pages++ {
				require.Less(t, pages, 20, "paging does not end")
				page, err := b.store.ListHotOrders(b.ctx, p)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), limit)
				for _, o := range page {
					_, dup := got[o.ID]
					require.False(t, dup, "%s listed twice", o.ID)
					got[o.ID] = o
				}
				if len(page) < limit {
					break
				}
				p.After = &page[len(page)-1]
			}
			require.Len(t, got, len(want))
			for id, w := range want {
				require.Contains(t, got, id)
				requireSameOrder(t, w, got[id])
				require.Equal(t, w.Version, got[id].Version)
			}
		})
	}

	t.Run("Refuses", func(t *testing.T) {
		for _, p := range []*eligo.ListHotOrdersParams{nil, {EndedSince: bound}} {
			_, err := b.store.ListHotOrders(b.ctx, p)
			requireCode(t, eligo.EINVALID, err)
		}
		ctx, cancel := context.WithCancel(b.ctx)
		cancel()
		_, err := b.store.ListHotOrders(ctx, &eligo.ListHotOrdersParams{EndedSince: bound, Limit: 10})
		require.Error(t, err, "a cancelled call is not answered")
	})
}

// endUpdate moves an order to a terminal status, as a cancel or the
// expiry job does.
func endUpdate(orderID string, status eligo.Status) eligo.Update {
	return eligo.Update{OrderID: orderID, Who: eligo.WhoService, Apply: func(o eligo.Order, _ time.Time) (eligo.Order, error) {
		o.Status = status
		return o, nil
	}}
}
