package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestNewOrder(t *testing.T) {
	t.Parallel()
	o, err := eligo.NewOrder(&eligo.NewOrderParams{ID: "o", CustomerID: "c", PromisedAt: t0.Add(time.Minute)}, t0)
	require.NoError(t, err)
	require.Equal(t, eligo.PaymentPaid, o.PaymentStatus, "no payment timeout means paid")
	require.Equal(t, int64(1), o.Version)
	require.Equal(t, t0, o.PlacedAt, "placed_at defaults to now")

	o, err = eligo.NewOrder(&eligo.NewOrderParams{ID: "o", CustomerID: "c", PromisedAt: t0.Add(time.Minute), PaymentTimeoutAt: t0.Add(time.Minute)}, t0)
	require.NoError(t, err)
	require.Equal(t, eligo.PaymentPending, o.PaymentStatus)

	for name, p := range map[string]eligo.NewOrderParams{
		"missing promised_at":      {ID: "o", CustomerID: "c"},
		"missing id":               {CustomerID: "c", PromisedAt: t0},
		"missing customer":         {ID: "o", PromisedAt: t0},
		"promise before placement": {ID: "o", CustomerID: "c", PlacedAt: t0, PromisedAt: t0.Add(-time.Second)},
		"id with a space":          {ID: "o 1", CustomerID: "c", PromisedAt: t0},
		// The range is checked in UTC, not in the offset given.
		"promise in 2201 UTC":   {ID: "o", CustomerID: "c", PromisedAt: time.Date(2200, 12, 31, 23, 0, 0, 0, time.FixedZone("", -5*3600))},
		"placement in 1969 UTC": {ID: "o", CustomerID: "c", PlacedAt: time.Date(1970, 1, 1, 1, 0, 0, 0, time.FixedZone("", 2*3600)), PromisedAt: t0},
	} {
		_, err := eligo.NewOrder(&p, t0)
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), name)
	}
	last := time.Date(2200, 12, 31, 23, 59, 59, 999999999, time.UTC)
	_, err = eligo.NewOrder(&eligo.NewOrderParams{ID: "o", CustomerID: "c", PromisedAt: last, PaymentTimeoutAt: last}, t0)
	require.NoError(t, err, "the last instant of 2200 UTC is in range")
}
