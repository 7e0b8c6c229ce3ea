package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestCancel(t *testing.T) {
	t.Parallel()
	p := eligo.DefaultPolicy()
	o := order()

	_, err := eligo.Cancel(o, p, t0.Add(time.Minute))
	require.Equal(t, eligo.ECONFLICT, eligo.ErrorCode(err))
	require.Equal(t, "outside_window", eligo.ErrorReason(err))

	c, err := eligo.Cancel(o, p, o.PromisedAt)
	require.NoError(t, err)
	require.Equal(t, eligo.StatusCancelled, c.Status)

	again, err := eligo.Cancel(c, p, o.PromisedAt.Add(time.Hour))
	require.NoError(t, err, "cancelling a cancelled order is not an error")
	require.Equal(t, c, again)

	o.DriverStatus = eligo.DriverArrivedAtDoorstep
	_, err = eligo.Cancel(o, p, o.PromisedAt.Add(time.Minute))
	require.Equal(t, "driver_at_doorstep", eligo.ErrorReason(err))
}
