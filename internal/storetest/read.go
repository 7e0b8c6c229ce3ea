package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func (s *suite) testRead(t *testing.T) {
	t.Parallel()

	t.Run("PingAnswers", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		require.NoError(t, b.store.Ping(b.ctx))
		ctx, cancel := context.WithCancel(b.ctx)
		cancel()
		require.Error(t, b.store.Ping(ctx), "a cancelled call is not answered")
	})

	// Every call runs under the caller's context through the store's
	// deadline (eligo.StoreCall): one whose context is cancelled or past
	// its deadline ends with the context's error or EUNAVAILABLE, and a
	// write changes nothing.
	t.Run("CallsEndWithTheirContext", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		o := b.create(t, b.params("order-1"))
		cancelled, cancel := context.WithCancel(b.ctx)
		cancel()
		expired, cancel := context.WithDeadline(b.ctx, time.Unix(0, 0))
		defer cancel()
		calls := map[string]func(ctx context.Context) error{
			"Ping": b.store.Ping,
			"FindOrder": func(ctx context.Context) error {
				_, err := b.store.FindOrder(ctx, "order-1")
				return err
			},
			"ListOrders": func(ctx context.Context) error {
				_, err := b.store.ListOrders(ctx, &eligo.ListOrdersParams{Limit: 10})
				return err
			},
			"FindVersions": func(ctx context.Context) error {
				_, err := b.store.FindVersions(ctx, "order-1")
				return err
			},
			"FindVersion": func(ctx context.Context) error {
				_, err := b.store.FindVersion(ctx, 1)
				return err
			},
			"ListChanges": func(ctx context.Context) error {
				_, err := b.store.ListChanges(ctx, 0, 10)
				return err
			},
			"CreateOrder": func(ctx context.Context) error {
				_, _, err := b.store.CreateOrder(ctx, &eligo.CreateOrderParams{Order: *b.params("order-2"), Who: eligo.WhoService})
				return err
			},
			"UpdateOrders": func(ctx context.Context) error {
				_, err := b.store.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
				return err
			},
		}
		for name, call := range calls {
			for _, ctx := range []context.Context{cancelled, expired} {
				err := call(ctx)
				require.Error(t, err, "%s under a %v context", name, ctx.Err())
				if eligo.ErrorCode(err) != eligo.EUNAVAILABLE {
					require.ErrorIs(t, err, ctx.Err(), "%s: the context's error or EUNAVAILABLE", name)
				}
			}
		}
		requireSameOrder(t, o, b.find(t, "order-1"))
		_, err := b.store.FindOrder(b.ctx, "order-2")
		requireCode(t, eligo.ENOTFOUND, err)
		cs, err := b.store.ListChanges(b.ctx, 0, 10)
		require.NoError(t, err)
		require.Len(t, cs, 1, "only the create of order-1")
	})

	t.Run("FindOrderUnknown", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		_, err := b.store.FindOrder(b.ctx, "order-1")
		requireCode(t, eligo.ENOTFOUND, err)
	})

	t.Run("ListOrdersPagesByID", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		orders, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: 3})
		require.NoError(t, err)
		require.Empty(t, orders)

		// Created out of order; ids sort the same bytewise and under any
		// collation.
		byID := map[string]eligo.Order{}
		for _, id := range []string{"order-05", "order-01", "order-07", "order-03", "order-02", "order-06", "order-04"} {
			byID[id] = b.create(t, b.params(id))
		}
		wantPages := [][]string{
			{"order-01", "order-02", "order-03"},
			{"order-04", "order-05", "order-06"},
			{"order-07"},
			{},
		}
		after := ""
		for i, want := range wantPages {
			page, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{AfterID: after, Limit: 3})
			require.NoError(t, err)
			got := make([]string, len(page))
			for j, o := range page {
				got[j] = o.ID
				requireSameOrder(t, byID[o.ID], o)
			}
			require.Equal(t, want, got, "page %d", i)
			if len(page) > 0 {
				after = page[len(page)-1].ID
			}
		}

		// AfterID need not exist.
		page, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{AfterID: "order-035", Limit: 2})
		require.NoError(t, err)
		require.Len(t, page, 2)
		require.Equal(t, "order-04", page[0].ID)
	})

	t.Run("ListOrdersLimitBelowOneInvalid", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		for _, limit := range []int{0, -1} {
			_, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: limit})
			requireCode(t, eligo.EINVALID, err)
		}
	})

	t.Run("FindVersionsOldestFirst", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		rs := b.update(t,
			driverEvent("ev-1", "order-1", eligo.DriverAssigned),
			driverEvent("ev-2", "order-1", eligo.DriverAtStore),
		)

		vs := b.versions(t, "order-1")
		require.Len(t, vs, 3)
		require.Equal(t, eligo.VersionCreate, vs[0].Event)
		for i, v := range vs {
			require.EqualValues(t, i+1, v.OrderVersion)
			if i > 0 {
				require.Equal(t, eligo.VersionUpdate, v.Event)
				require.Equal(t, rs[i-1].VersionID, v.ID)
				require.Greater(t, v.ID, vs[i-1].ID)
			}
		}
		require.Equal(t, []string{"", "ev-1", "ev-2"}, []string{vs[0].EventID, vs[1].EventID, vs[2].EventID})
	})

	t.Run("FindVersionsUnknownOrder", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		_, err := b.store.FindVersions(b.ctx, "order-1")
		requireCode(t, eligo.ENOTFOUND, err)
	})

	t.Run("FindVersionMatchesFindVersions", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-1"))
		b.update(t, driverEvent("ev-1", "order-1", eligo.DriverAssigned))

		for _, want := range b.versions(t, "order-1") {
			got, err := b.store.FindVersion(b.ctx, want.ID)
			require.NoError(t, err)
			requireSameVersion(t, want, got)
		}
		for _, id := range []int64{0, -1, math.MaxInt64} {
			_, err := b.store.FindVersion(b.ctx, id)
			requireCode(t, eligo.ENOTFOUND, err)
		}
	})

	t.Run("VersionIDsIncreaseAcrossOrders", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		b.create(t, b.params("order-a"))
		b.create(t, b.params("order-b"))
		b.update(t, driverEvent("ev-a1", "order-a", eligo.DriverAssigned))
		b.update(t, driverEvent("ev-b1", "order-b", eligo.DriverAssigned))
		b.update(t,
			driverEvent("ev-a2", "order-a", eligo.DriverAtStore),
			driverEvent("ev-b2", "order-b", eligo.DriverAtStore),
		)

		a, bb := b.versions(t, "order-a"), b.versions(t, "order-b")
		ids := []int64{a[0].ID, bb[0].ID, a[1].ID, bb[1].ID, a[2].ID, bb[2].ID}
		for i := 1; i < len(ids); i++ {
			require.Greater(t, ids[i], ids[i-1], "version ids in write order: %v", ids)
		}
	})
}
