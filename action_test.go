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

// CancelIfMatch checks its precondition on the order it is given (under
// the store's lock), before the policy: a version it does not name is
// EPRECONDITION, unless the order is cancelled already.
func TestCancelIfMatch(t *testing.T) {
	t.Parallel()
	p := eligo.DefaultPolicy()
	o := order()
	o.Version = 3
	at := o.PromisedAt

	c, err := eligo.CancelIfMatch(o, p, at, &eligo.VersionMatch{Versions: []int64{2, 3}})
	require.NoError(t, err)
	require.Equal(t, eligo.StatusCancelled, c.Status)
	_, err = eligo.CancelIfMatch(o, p, at, &eligo.VersionMatch{Any: true})
	require.NoError(t, err)
	_, err = eligo.CancelIfMatch(o, p, at, nil)
	require.NoError(t, err, "no precondition")

	_, err = eligo.CancelIfMatch(o, p, at, &eligo.VersionMatch{Versions: []int64{2}})
	require.Equal(t, eligo.EPRECONDITION, eligo.ErrorCode(err))
	_, err = eligo.CancelIfMatch(o, p, at, &eligo.VersionMatch{})
	require.Equal(t, eligo.EPRECONDITION, eligo.ErrorCode(err), "an empty list matches nothing")
	_, err = eligo.CancelIfMatch(o, p, at.Add(-time.Minute), &eligo.VersionMatch{Versions: []int64{2}})
	require.Equal(t, eligo.EPRECONDITION, eligo.ErrorCode(err), "before the policy's refusal")

	again, err := eligo.CancelIfMatch(c, p, at, &eligo.VersionMatch{Versions: []int64{1}})
	require.NoError(t, err, "a cancel already applied is answered as done")
	require.Equal(t, c, again)
}
