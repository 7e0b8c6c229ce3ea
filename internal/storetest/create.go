package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func (s *suite) testCreateOrder(t *testing.T) {
	t.Parallel()

	t.Run("ReturnsVersionOneWithCreateVersion", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		p.PaymentTimeoutAt = b.clock.Now().Add(5 * time.Minute)
		want, err := eligo.NewOrder(p, b.clock.Now())
		require.NoError(t, err)

		o, created, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
		require.NoError(t, err)
		require.True(t, created)
		requireSameOrder(t, want, o)
		require.EqualValues(t, 1, o.Version)
		require.Equal(t, eligo.PaymentPending, o.PaymentStatus)
		requireSameOrder(t, o, b.find(t, "order-1"))

		vs := b.versions(t, "order-1")
		require.Len(t, vs, 1)
		v := vs[0]
		require.Positive(t, v.ID)
		require.Equal(t, eligo.ItemTypeOrder, v.ItemType)
		require.Equal(t, "order-1", v.ItemID)
		require.Equal(t, eligo.VersionCreate, v.Event)
		require.Equal(t, eligo.WhoService, v.Whodunnit)
		require.Empty(t, v.EventID)
		require.EqualValues(t, 1, v.OrderVersion)
		require.True(t, v.CreatedAt.Equal(b.clock.Now()), "created_at %s, want the store clock %s", v.CreatedAt, b.clock.Now())
		require.NotEmpty(t, v.Host, "the store records its host")
		require.NotEmpty(t, v.Build, "the store records its build")
		requireJSONEqual(t, eligo.Changes(nil, &o), v.ObjectChanges)
		// Every set field appears with old nil; the unset driver status does not.
		require.Equal(t, []string{"customer_id", "id", "payment_status", "payment_timeout_at", "placed_at",
			"promised_at", "status", "updated_at", "version"}, changedFields(v.ObjectChanges))
		for k, pair := range v.ObjectChanges {
			require.Nil(t, pair[0], "old value of %s", k)
			require.NotNil(t, pair[1], "new value of %s", k)
		}
	})

	t.Run("ZeroPlacedAtIsStoreClock", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		p.PlacedAt = time.Time{}

		o := b.create(t, p)
		require.True(t, o.PlacedAt.Equal(b.clock.Now()), "placed_at %s, want the store clock %s", o.PlacedAt, b.clock.Now())
		require.True(t, o.UpdatedAt.Equal(b.clock.Now()))
		require.Equal(t, eligo.PaymentPaid, o.PaymentStatus, "no payment timeout means paid")
	})

	t.Run("RepeatedCreateReturnsStoredOrder", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		first := b.create(t, p)
		b.clock.Advance(time.Minute)

		again, created, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: "someone-else"})
		require.NoError(t, err)
		require.False(t, created)
		requireSameOrder(t, first, again)

		// A zero placed_at matches any, so a retry without it is the same order.
		p.PlacedAt = time.Time{}
		again, created, err = b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
		require.NoError(t, err)
		require.False(t, created)
		requireSameOrder(t, first, again)

		requireSameOrder(t, first, b.find(t, "order-1"))
		require.Len(t, b.versions(t, "order-1"), 1)
	})

	t.Run("RepeatWithoutPlacedAtAfterPromisedAt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		p := b.params("order-1")
		p.PlacedAt = time.Time{}
		first := b.create(t, p)
		// Now placed_at would default to after promised_at, which is invalid
		// for a new order; but this is the stored one, asked for again.
		b.clock.Advance(time.Hour)

		again, created, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
		require.NoError(t, err)
		require.False(t, created)
		requireSameOrder(t, first, again)
	})

	t.Run("DifferentOrderSameIDConflicts", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		first := b.create(t, b.params("order-1"))

		tests := []struct {
			name   string
			change func(p *eligo.NewOrderParams)
		}{
			{"CustomerID", func(p *eligo.NewOrderParams) { p.CustomerID = "cust-2" }},
			{"PlacedAt", func(p *eligo.NewOrderParams) { p.PlacedAt = p.PlacedAt.Add(-time.Second) }},
			{"PromisedAt", func(p *eligo.NewOrderParams) { p.PromisedAt = p.PromisedAt.Add(time.Microsecond) }},
			{"PaymentTimeoutAt", func(p *eligo.NewOrderParams) { p.PaymentTimeoutAt = p.PromisedAt }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := b.params("order-1")
				tt.change(p)
				_, _, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
				requireCode(t, eligo.ECONFLICT, err)
			})
		}
		requireSameOrder(t, first, b.find(t, "order-1"))
		require.Len(t, b.versions(t, "order-1"), 1)
	})

	t.Run("InvalidParamsStoreNothing", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		tests := []struct {
			name   string
			change func(p *eligo.NewOrderParams)
		}{
			{"EmptyID", func(p *eligo.NewOrderParams) { p.ID = "" }},
			{"IDWithSpace", func(p *eligo.NewOrderParams) { p.ID = "order 1" }},
			{"IDTooLong", func(p *eligo.NewOrderParams) { p.ID = strings.Repeat("x", 129) }},
			{"EmptyCustomerID", func(p *eligo.NewOrderParams) { p.CustomerID = "" }},
			{"NoPromisedAt", func(p *eligo.NewOrderParams) { p.PromisedAt = time.Time{} }},
			{"PromisedBeforePlaced", func(p *eligo.NewOrderParams) { p.PromisedAt = p.PlacedAt.Add(-time.Second) }},
			{"PaymentTimeoutBeforePlaced", func(p *eligo.NewOrderParams) { p.PaymentTimeoutAt = p.PlacedAt.Add(-time.Second) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := b.params("order-1")
				tt.change(p)
				_, _, err := b.store.CreateOrder(b.ctx, &eligo.CreateOrderParams{Order: *p, Who: eligo.WhoService})
				requireCode(t, eligo.EINVALID, err)
			})
		}
		_, err := b.store.FindOrder(b.ctx, "order-1")
		requireCode(t, eligo.ENOTFOUND, err)
		orders, err := b.store.ListOrders(b.ctx, &eligo.ListOrdersParams{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, orders)
	})
}
