package storetest

import (
	"context"
	"io"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// What a backend's own tests set up the same way on every backend.

// NanoTime is a time with nanoseconds, where a backend's own tests stop
// their clock to see how it keeps times.
var NanoTime = time.Date(2031, time.March, 4, 5, 6, 7, 123456789, time.UTC)

// CreateParams returns the params of a paid order id of cust-1, placed a
// minute before now and promised ten minutes after, created by the service.
func CreateParams(id string, now time.Time) *eligo.CreateOrderParams {
	return &eligo.CreateOrderParams{Who: eligo.WhoService, Order: eligo.NewOrderParams{
		ID: id, CustomerID: "cust-1", PlacedAt: now.Add(-time.Minute), PromisedAt: now.Add(10 * time.Minute),
	}}
}

// CloseAtEnd closes s when t ends and requires that it closed cleanly.
func CloseAtEnd(t testing.TB, s io.Closer) {
	t.Cleanup(func() { require.NoError(t, s.Close()) })
}

// RequireOpenRefuses requires, in one parallel subtest per named config,
// that open refuses the config with EINVALID; check, when not nil, looks
// at the error further. Every store refuses a nil config ("Nil") and an
// empty one ("Empty"), which lacks where the database is: those two are
// always among cfgs. A store that opens anyway is closed.
func RequireOpenRefuses[C any, S io.Closer](t *testing.T, open func(context.Context, *C) (S, error), cfgs map[string]*C, check func(t *testing.T, err error)) {
	t.Helper()
	all := map[string]*C{"Nil": nil, "Empty": new(C)}
	maps.Copy(all, cfgs)
	for name, cfg := range all {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := open(t.Context(), cfg)
			if err == nil {
				s.Close()
			}
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "error: %v", err)
			if check != nil {
				check(t, err)
			}
		})
	}
}
