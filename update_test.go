package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestDecideUpdateEventID(t *testing.T) {
	t.Parallel()
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	o := eligo.Order{ID: "o-1", CustomerID: "c", PlacedAt: now, PromisedAt: now.Add(time.Hour), Version: 1, UpdatedAt: now}
	ev := &eligo.Event{EventID: "e-1", OrderID: "o-1", Type: eligo.EventDriverStatus, Status: "ASSIGNED", OccurredAt: now}
	u := eligo.EventUpdate(ev, eligo.WhoService)
	rec := u.Processed()

	step := eligo.DecideUpdate(&u, &o, nil, now)
	require.Equal(t, eligo.OutcomeApplied, step.Result.Outcome)
	require.True(t, step.Write)
	require.True(t, step.Record)
	require.EqualValues(t, 2, step.Result.Order.Version)

	require.Equal(t, eligo.OutcomeDuplicate, eligo.DecideUpdate(&u, &o, &rec, now).Result.Outcome)

	other := rec
	other.Status = "PICKED_UP"
	step = eligo.DecideUpdate(&u, &o, &other, now)
	require.Equal(t, eligo.OutcomeRejected, step.Result.Outcome)
	require.Equal(t, eligo.ECONFLICT, eligo.ErrorCode(step.Result.Err))
	require.False(t, step.Write || step.Record)

	// An id recorded before the content was kept compares its order only.
	legacy := eligo.ProcessedEvent{OrderID: "o-1"}
	require.Equal(t, eligo.OutcomeDuplicate, eligo.DecideUpdate(&u, &o, &legacy, now).Result.Outcome)
	legacy.OrderID = "o-2"
	require.Equal(t, eligo.OutcomeRejected, eligo.DecideUpdate(&u, &o, &legacy, now).Result.Outcome)

	// An occurred_at out of range is refused and recorded nowhere.
	u.OccurredAt = time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC)
	step = eligo.DecideUpdate(&u, &o, nil, now)
	require.Equal(t, eligo.OutcomeRejected, step.Result.Outcome)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(step.Result.Err))
	require.False(t, step.Record)
}
